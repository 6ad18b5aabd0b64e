"""Coupons (电子券) of the loyalty module: batches (campaigns) and their single-use coupons.

``models`` (imported by ``kehu.loyalty.models`` so Django finds them), ``codes`` (unguessable codes with a check
character), ``services`` (issue, use, void, reissue, expire), ``selectors``, ``api`` (mounted under
``/api/loyalty``), ``views`` and ``urls`` (under ``/loyalty/coupons/``), ``tasks`` (the expiry beat job)."""
