"""Import of customers (persons and organisations with their profiles), upserted by a natural key.

The import reads, normalises and matches; the customers app writes. Three modules:

* :mod:`.reading` — the columns (field specs, value mappings) and each row read and normalised on its own (no
  database: rows may be prepared in parallel);
* :mod:`.target` — :class:`CustomerTarget`: a chunk of rows matched against the stored customers with a fixed number
  of queries whatever its size (one for the stored customers with the chunk's keys, profiles joined; one for the
  codes the file brings; one for the actor's right to change them; one for their tags when tags are imported), each
  row turned into a new customer or a change of a stored one, written by the customers app's bulk writer
  (:class:`kehu.customers.upsert.CustomerBulkWriter`: ``COPY``/``executemany`` inserts, one ``UPDATE`` per table);
* :mod:`.preview` — what the wizard's preview shows of each row (changed fields, personal data masked).

Rules (documented for users in the wizard and ``kehu import --help``):

- Only mapped columns are written; a stored field without a column in the file is left as it is.
- An empty cell leaves the stored value of a matched customer as it is (an empty ID number column never wipes stored
  ID numbers). With the option ``clear_empty`` (wizard: "Empty cells clear stored values"; ``kehu import
  --clear-empty``) it clears optional fields; the fields that cannot be empty (name, kind, branch, account manager,
  lifecycle status and stage, management class, relationship stage, ID type, business status) are kept even then. A
  new customer gets the default of a field whose cell is empty.
- A row whose name differs from the matched customer's renames it only with the option ``accept_name_changes``
  (wizard: the confirmation under the preview's list of name changes; ``kehu import --accept-name-changes``);
  otherwise the row is reported as a problem (and, all-or-nothing, the file is rejected).
- Customers outside the importing user's scope are never matched: their key reads as a key no customer has (a row
  for it creates a new customer in the user's branches, which the managers who see both find on the duplicates
  page; a code, unique company-wide, is "not available"). Likely-duplicate warnings only name customers the user
  may see.
- A new account manager of a stored customer is a transfer: it needs the transfer permission and is recorded as an
  ownership transfer with the reason "Import #N". Account managers and home branches named in the file must be in
  the user's scope (staff of their branches, their branches).
- The preview lists, for every updated customer, each changed field's stored and new value (phones, ID numbers and
  e-mail masked for users who may not see personal data).
- The key column must be filled in. A second row with a key already seen in the file is reported as a duplicate
  of the first and not stored (no silent merging of two rows).
- Without a kind column a row is an organisation when it has a credit code or its name names one (…有限公司, 集团,
  Co., Ltd., Inc.), else a person; the job option ``kind`` (``auto``, ``person``, ``organisation``; wizard: the mapping
  step; ``kehu import --kind``) makes every row without a kind of one kind. The kind of a stored customer is not
  changed by an import.
- Account managers are matched by user name, display name or staff number. One the file names but Kehu does not know
  does not fail the row: it is stored without that account manager (new customers: the importer when an account
  manager imports, else none) with a warning, and the wizard lists such names for the user to choose a staff member.
- Values of choice fields (level → management class, deal status → lifecycle status, industry, kind, account manager)
  go through the job's value mapping first (option ``values``: {field: {text in the file: value}}), which the wizard
  shows for confirmation and saves with the column mapping; then the labels and known spellings.
- An address without province, city and district columns is split into them (``kehu.core.divisions``): 广东省广州市
  天河区天河路385号 → 广东省 / 广州市 / 天河区 and 天河路385号, with their division codes; province, city and district
  columns get their codes looked up. An industry is stored as its GB/T 4754 code; one not recognised is kept in the
  notes with a warning. The code of a stored customer is not changed either: a different code in the
  file is reported.
- Without a code column (or with an empty code when the key is not the code) new customers get codes from the
  configured pattern.
- A row identical to what is stored is counted as unchanged and not written (no new version, no history record).
- Every created or changed customer and profile gets a history record (django-simple-history) whose change reason
  names the import job; new customers get their first lifecycle record like customers created in the UI.
"""

from __future__ import annotations

from .target import CustomerTarget

__all__ = ["CustomerTarget"]
