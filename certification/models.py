"""Certification keeps no tables of its own: a draft's comments are
``connectors.models.CertificationComment`` (part of the draft's API resource)."""
