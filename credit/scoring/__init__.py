"""The credit model as pure functions (model.py), fed by set-based SQL aggregation (inputs.py).

Per-subject and full recomputation both build `SubjectInputs` with the same queries and score them
with the same function, so they agree exactly.
"""
