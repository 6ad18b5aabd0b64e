"""The public entry of the import pipeline: the functions views, the API, tasks and commands call.

Each lives in the module of its concern; a newcomer reads them in this order:

- :mod:`kehu.imports.jobs`: a job's life before and around its run: creating it from a file and mapping its columns,
  the wizard's steps (mapping, value mapping, options, preview), queueing it for the background worker, cancelling
  it, and the periodic clean-up of what ended and abandoned jobs leave behind;
- :mod:`kehu.imports.pipeline`: running a job: reading the file in chunks, preparing rows (in worker processes for a
  big file), applying the target to each chunk, skip-bad and all-or-nothing, resuming after a checkpoint;
- :mod:`kehu.imports.writer`: committing each chunk with its row errors, counters and checkpoint (in a thread of its
  own on PostgreSQL for a big file);
- :mod:`kehu.imports.files`: the uploaded file while the job runs and the file of the rows it did not store;
- :mod:`kehu.imports.reports`: the error report (CSV/XLSX) and the spreadsheet writers;
- :mod:`kehu.imports.export`: the export of the customer list in the columns an import reads back.

What is imported (customers, contacts, transactions, the contact log) is an import target registered by the app
owning it (``kehu.core.registry.import_targets``). Merging duplicate customers is a customer operation:
:mod:`kehu.customers.merge`.
"""

from __future__ import annotations

from .export import customer_export
from .jobs import (
    VALUE_SAMPLE_ROWS,
    import_files_purge,
    import_job_cancel,
    import_job_create,
    import_job_set_options,
    import_job_set_values,
    import_job_start,
    import_job_update_mapping,
    import_mapped_labels,
    import_mapping_save,
    import_preview,
    import_sample_rows,
    import_unused_columns,
    import_value_fields,
    target_class,
)
from .pipeline import import_run
from .reports import import_error_report

__all__ = [
    "VALUE_SAMPLE_ROWS", "customer_export", "import_error_report", "import_files_purge", "import_job_cancel",
    "import_job_create", "import_job_set_options", "import_job_set_values",
    "import_job_start", "import_job_update_mapping", "import_mapped_labels", "import_mapping_save", "import_preview",
    "import_run", "import_sample_rows", "import_unused_columns", "import_value_fields", "target_class",
]
