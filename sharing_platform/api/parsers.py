"""Request content types. The API takes JSON (settings: DEFAULT_PARSER_CLASSES); an endpoint that takes
files declares multipart itself, so the schema lists multipart only where it works."""

from rest_framework.parsers import JSONParser, MultiPartParser

# A file upload with plain fields next to it (the instrument import).
UPLOAD_PARSERS = [MultiPartParser]
# JSON, or multipart when files are attached (incident evidence, a repair request's proof).
OPTIONAL_UPLOAD_PARSERS = [JSONParser, MultiPartParser]
