"""The credit engine: ledger, explainable scores, red and black lists, objections and repair.

Layers: instruments <- credit <- bookings. Other apps report facts with
`credit.services.credit_event_record(...)` and read consequences with
`credit.selectors.credit_standing_for_user/unit(...)`; nothing outside reads credit.models.

- `params.py`      every model parameter, versioned by MODEL_VERSION.
- `scoring/`       the model as pure functions (model.py) over inputs aggregated in SQL (inputs.py);
                   trust propagation over endorsements (trust.py); reasons in words (reasons.py).
- `recompute.py`   one subject (after each event, on commit) or everyone (nightly), same code path.
                   A snapshot is written only when something changed. Every snapshot is a function
                   of the ledger *as recorded by* its as_of (plus unit status, memberships and
                   accreditations as they are now, which the ledger does not version).
- `policy.py`      pure list rules, publication bounds, working days, the provider badge.
- `services.py`    writes (moderation, objections, repair, badges, external reports, endorsements).
- `tasks.py`       thin Celery wrappers; schedules are django-celery-beat rows (migration 0003).
"""
