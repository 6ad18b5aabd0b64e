"""The NinjaAPI that mounts each app's router, with authentication, the one error shape and the local docs page."""

from django.conf import settings

from kehu.customers.api import router as customers_router
from kehu.customers.relationships_api import router as customer_relationships_router
from kehu.loyalty.api import router as loyalty_router
from kehu.loyalty.coupons.api import router as loyalty_coupons_router
from kehu.org.api import router as org_router
from kehu.purchases.api import router as purchases_router
from kehu.relations.api import router as relations_router
from kehu.relations.cadences.api import router as cadence_router
from kehu.relations.evaluations.api import router as evaluations_router
from kehu.relations.evaluations.api import templates_router as evaluation_templates_router
from kehu.relations.kpis.api import router as staff_kpis_router
from kehu.relations.plans.api import events_router, gifts_router, plans_router
from kehu.relations.strengthening.api import router as strengthening_router
from kehu.sales.api import router as sales_router
from kehu.sales.conversion.api import leads_router as conversion_leads_router
from kehu.sales.conversion.api import opportunities_router as conversion_opportunities_router
from kehu.sales.intake.api import router as intake_router
from kehu.sales.opportunities.api import forecast_router
from kehu.sales.opportunities.api import router as opportunities_router
from kehu.scoring.api import router as scoring_router
from kehu.service.api import router as service_router
from kehu.service.kb.api import router as kb_router
from kehu.service.lost.api import router as lost_router
from kehu.service.mailin.api import router as mailin_router
from kehu.service.sla.api import router as sla_router
from kehu.service.surveys.api import router as surveys_router
from kehu.work.api import router as work_router

from .auth import SessionAuth, TokenAuth
from .base import KehuNinjaAPI
from .docs import LocalSwagger
from .errors import register_exception_handlers
from .throttling import TokenRateThrottle

DESCRIPTION = f"""
The Kehu (客户) REST API: the customer information base, consent, ownership transfers, purchases and the call-centre
phone lookup. It applies the same row-level scope, permissions and masking as the staff UI.

## Authentication
Send a personal API token, created on the *API tokens* page of the staff UI or in the admin:
`Authorization: Bearer kehu_…`. A browser logged in to the staff UI may call the API with its session cookie;
writes then need the `X-CSRFToken` header. Without valid credentials the answer is 401.

## Rate limits
Each token (or signed-in session) may make {settings.KEHU_API_RATE_TOKEN} requests; each address may make
{settings.KEHU_API_RATE_ANON} requests without valid credentials. Over a limit the answer is 429 `throttled` with a
`Retry-After` header (seconds).

## Scope and permissions
You see the customers of your branches and the branches below them (administrators and auditors see all). A customer
outside your scope answers **404**, exactly like one that does not exist. A change you may not make answers **403**
(account managers change only the customers they own; auditors change nothing).

## Personal data
Mobile, phone, ID number and e-mail are always **masked** (`138****5678`, `1101**********1234`). Users allowed to see
personal data get the plain values from `POST /api/customers/{{id}}/reveal` with a reason; every reveal and every
phone lookup is written to the access log.

## Errors
Every error has one shape:

```json
{{"error": {{"code": "validation_error", "message": "…",
           "fields": {{"person.id_number": ["The ID number's check digit is wrong; please check the number."]}}}}}}
```

`code` is one of `validation_error` (422), `bad_request` (400), `not_authenticated` (401), `permission_denied` and
`csrf_failed` (403), `not_found` (404), `version_conflict` (409, with `current_version`), `idempotency_conflict`
(409), `request_too_large` (413, a body over {settings.KEHU_MAX_REQUEST_BYTES:,} bytes), `throttled` (429, over a
rate limit, with `Retry-After`), `database_unavailable` (503, the database was busy: retry after `Retry-After`
seconds), `server_error` (500).
`fields` names each offending input: body fields by their **dotted path in the request body** (`name`, `mobile`,
`person.id_number`, `organisation.credit_code`, `customer_ids.0`), query parameters by their name (`phone`, `limit`).
`message` and the field messages are in the request's language (`Accept-Language: zh-Hans` or `en`).

## Input that is refused
Text (in the body, the query string or the path) must not contain a NUL character (`\\u0000`) or a lone surrogate
(`\\ud800`): 422 naming the field (400 for the path). Dates are bounded: birth dates from 1900-01-01 to today,
founding dates from 1800-01-01 to today, purchase times and time filters from 1900 to five years after today, consent
times from 1900 to today. Numbers must fit their column (`amount` 14 digits with 2 decimals, `offset` at most
1,000,000,000). A customer has at most 50 tags of at most 50 characters each.

## Lists
Lists are paginated with `limit` (default 25, at most {settings.KEHU_API_PAGE_SIZE_MAX}) and `offset` and answer
`{{"count": N, "items": [...]}}`. The customer list counts at most {settings.KEHU_LIST_COUNT_CAP:,} matches past
`offset` and then answers `"count_is_exact": false` (there are more; on PostgreSQL a broad filter over a very large
table answers the planner's estimate, also with `false`); page on with `offset` until a page comes back short.

## Concurrency and retries
`PATCH /api/customers/{{id}}` needs the `version` you read; if someone changed the customer since, nothing is written
and the answer is 409 with `current_version`. `POST /api/transactions` with an `external_ref` is idempotent: a retry
with the same values returns the existing transaction with 200 instead of 201; the same `external_ref` with any
different value (customer, time, amounts, product, branch, channel) answers 409 `idempotency_conflict`, naming the
differing fields, and changes nothing.
"""

api = KehuNinjaAPI(
    title="Kehu API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    throttle=[TokenRateThrottle()],  # KEHU_API_RATE_TOKEN; calls without credentials: KEHU_API_RATE_ANON (auth.py)
    docs=LocalSwagger(),
    openapi_extra={
        "tags": [
            {"name": "customers", "description": "Customers, contacts, consent, transfers, reveal and phone lookup."},
            {"name": "transactions", "description": "Purchases of customers."},
            {"name": "organisation", "description": "Branches and staff in your scope, for pickers."},
            {"name": "scoring", "description": "Tiers, RFM and lifetime value per customer, schemes, runs, alerts."},
            {"name": "work", "description": "Tasks, your inbox and approvals (the machinery every module shares)."},
            {"name": "contacts-log", "description": "The contact log: visits, calls, messages, events, gifts."},
            {"name": "evaluations", "description": "Relationship evaluations (weighted indicators), their templates."},
            {"name": "strengthening", "description": "The relationship strengthening table of organisations."},
            {"name": "maintenance plans", "description": "Maintenance plans: approval, actions as tasks, summary."},
            {"name": "events", "description": "Customer events: invitees, answers and attendance."},
            {"name": "gifts", "description": "Gifts to customers with their cost."},
            {"name": "cadence", "description": "Cadence rules by tier and class, and the coverage report."},
            {"name": "leads", "description": "Sales leads: duplicate matching, status, contacts, the shared pool."},
            {"name": "opportunities", "description": "Opportunities: pipelines, stages, won and lost, the forecast."},
            {"name": "intake", "description": "Web intake: a site's public lead form (its key, no staff token)."},
        ]
    },
)
register_exception_handlers(api)

api.add_router("/customers", customers_router)
api.add_router("/customers", customer_relationships_router)
api.add_router("/transactions", purchases_router)
api.add_router("", org_router)
api.add_router("/scoring", scoring_router)
api.add_router("", work_router)
api.add_router("/contacts-log", relations_router)
api.add_router("/staff-kpis", staff_kpis_router)
api.add_router("/evaluations", evaluations_router)
api.add_router("/evaluation-templates", evaluation_templates_router)
api.add_router("/strengthening", strengthening_router)
api.add_router("/plans", plans_router)
api.add_router("/events", events_router)
api.add_router("/knowledge", kb_router)
api.add_router("/gifts", gifts_router)
api.add_router("/cadence", cadence_router)
api.add_router("/leads", sales_router)
api.add_router("/intake", intake_router)
api.add_router("/opportunities", opportunities_router)
api.add_router("/forecast", forecast_router)
api.add_router("/leads", conversion_leads_router)  # sales/conversion: convert, customer matches
api.add_router("/opportunities", conversion_opportunities_router)  # sales/conversion: onboarding
api.add_router("/loyalty", loyalty_router)
api.add_router("/loyalty", loyalty_coupons_router)
api.add_router("/tickets", service_router)
api.add_router("/mail", mailin_router)
api.add_router("/sla", sla_router)
api.add_router("/surveys", surveys_router)
api.add_router("/lost-customers", lost_router)
