"""tests/unchanged.py notices a write, a changed field and a deleted row, and lets reads pass."""

import pytest

from tests.factories import InstrumentFactory, UnitFactory
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db


def test_nothing_changed_passes_reads_and_fails_on_any_write():
    instrument = InstrumentFactory()
    with nothing_changed():
        list(type(instrument).objects.all())
    with pytest.raises(AssertionError, match=r"instruments\.Unit"), nothing_changed():
        UnitFactory()
    with pytest.raises(AssertionError, match=r"instruments\.Instrument"), nothing_changed():
        type(instrument).objects.filter(pk=instrument.pk).update(location="Room 101")
    with pytest.raises(AssertionError, match=r"instruments\.Instrument"), nothing_changed():
        type(instrument).objects.filter(pk=instrument.pk).delete()
