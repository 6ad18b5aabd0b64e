"""Every read of the customer information base that is more than a ``.get``. All take the acting user and scope.

In parts: ``lists`` (search, filters, sort, the list, one customer, pickers, the home page's counts), ``records`` (a
customer's consents, contacts, lifecycle changes, transfers, status records), ``personal_data`` (who sees what, the
access log), ``history`` (the audit history), ``summary`` (the phone lookup and the 360 summary with the registered
panels); likely duplicates are read in ``kehu.customers.duplicates``. Every name stays importable from here.
"""

from ..duplicates import (
    DUPLICATE_CRITERIA,
    customer_duplicate_groups,
    customer_duplicate_members,
    customer_likely_duplicates,
)
from .history import HISTORY_ACTIONS, MASKED_HISTORY_FIELDS, HistoryEntry, customer_history
from .lists import (
    CUSTOMER_SORTS,
    TIER_CHOICES_CACHE_KEY,
    CustomerFilters,
    custom_attribute_list,
    customer_can_change,
    customer_changeable_list,
    customer_dashboard,
    customer_get,
    customer_list,
    customer_list_few,
    customer_owner_list,
    customer_search_q,
    customer_sort_key,
    customer_sort_order,
    customer_tier_choices,
    prefix_q,
    searched_identifier,
    tag_list,
)
from .personal_data import (
    ACCESS_LOG_FIELD_WORDS,
    RESTRICTED_FIELDS,
    AccessLogFilters,
    access_log_field_words,
    may_see_personal_data,
    personal_data_access_list,
    restricted_field_maskers,
)
from .records import (
    customer_consent_history,
    customer_contacts,
    customer_current_consents,
    customer_lifecycle_changes,
    customer_status_records,
    customer_transfers,
)
from .summary import (
    Customer360Summary,
    PanelData,
    customer_360_summary,
    customer_lookup_by_phone,
    customer_panels,
    customer_view_scope_sql,
)

__all__ = [
    "ACCESS_LOG_FIELD_WORDS",
    "CUSTOMER_SORTS",
    "DUPLICATE_CRITERIA",
    "HISTORY_ACTIONS",
    "MASKED_HISTORY_FIELDS",
    "RESTRICTED_FIELDS",
    "TIER_CHOICES_CACHE_KEY",
    "AccessLogFilters",
    "Customer360Summary",
    "CustomerFilters",
    "HistoryEntry",
    "PanelData",
    "access_log_field_words",
    "custom_attribute_list",
    "customer_360_summary",
    "customer_can_change",
    "customer_changeable_list",
    "customer_consent_history",
    "customer_contacts",
    "customer_current_consents",
    "customer_dashboard",
    "customer_duplicate_groups",
    "customer_duplicate_members",
    "customer_get",
    "customer_history",
    "customer_lifecycle_changes",
    "customer_likely_duplicates",
    "customer_list",
    "customer_list_few",
    "customer_lookup_by_phone",
    "customer_owner_list",
    "customer_panels",
    "customer_search_q",
    "customer_sort_key",
    "customer_sort_order",
    "customer_status_records",
    "customer_tier_choices",
    "customer_transfers",
    "customer_view_scope_sql",
    "may_see_personal_data",
    "personal_data_access_list",
    "prefix_q",
    "restricted_field_maskers",
    "searched_identifier",
    "tag_list",
]
