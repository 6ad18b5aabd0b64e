from tests.work.conftest import api_as, customers, make_task, today  # noqa: F401 - shared fixtures
