"""Request content types. The API takes JSON (settings: DEFAULT_PARSER_CLASSES); an endpoint that takes
files declares multipart itself, so the schema lists multipart only where it works."""

from rest_framework.parsers import MultiPartParser

# An endpoint that takes files (the instrument import, incident evidence, a repair request's proof): its
# plain fields come as multipart form fields too. One content type per operation, so a generated client
# knows how to send it.
UPLOAD_PARSERS = [MultiPartParser]
