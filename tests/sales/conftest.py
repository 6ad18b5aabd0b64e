from tests.work.conftest import api_as, today  # noqa: F401 - shared fixtures
