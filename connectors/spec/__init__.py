"""connect.yaml: safe loading, the acceptance level and the strict level.

- ``load_spec`` reads the file as the official parser does (YAML 1.2, npm ``yaml`` rules)
  and refuses hostile input with ``SpecFileError``.
- ``read_specification`` is the API's acceptance level: lenient, and it extracts the
  configurations a draft shows.
- ``validate_specification`` is the strict level: the official CLI parser's verdict and
  messages, used by the pipelines and the local validator.
"""

from .acceptance import AcceptedSpecification, read_specification
from .loader import LoadedSpec, SpecFileError, load_spec, load_spec_document
from .strict import SpecError, validate_specification

__all__ = [
    "AcceptedSpecification",
    "LoadedSpec",
    "SpecError",
    "SpecFileError",
    "load_spec",
    "load_spec_document",
    "read_specification",
    "validate_specification",
]
