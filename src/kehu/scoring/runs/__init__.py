"""The steps of a scoring run, called by ``kehu.scoring.services.scoring_run_execute``: ``sql`` (the read), ``compute``
(numpy), ``write`` (the write back) and ``alerts``. Nothing here opens a transaction or checks a permission: the service
does."""
