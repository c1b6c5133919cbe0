"""What the demo's instruments are: models of real instrument types, per category of the national classification.

Each template names an instrument type in Chinese and English, a price range, the makes and models a
Chinese platform lists for it, and its key specifications in both languages. `APPLICATIONS` says what
units in Baotou use each category for (rare earths, steel, aluminium, coal, grassland, medicine...),
`SERVICES` what a provider offers. instruments/demo_data.py draws from these with a seeded generator.
The tables are split by the classification's top-level groups (each module's TEMPLATES, in this order).
"""

from . import analytical, analytical_more, field, other, testing
from .model import InstrumentTemplate, Make, T
from .uses import APPLICATIONS, SERVICES

TEMPLATES = [
    *analytical.TEMPLATES,
    *analytical_more.TEMPLATES,
    *testing.TEMPLATES,
    *field.TEMPLATES,
    *other.TEMPLATES,
]

__all__ = ["APPLICATIONS", "SERVICES", "TEMPLATES", "InstrumentTemplate", "Make", "T"]
