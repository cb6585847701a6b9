"""The creator pages (Django templates + htmx), one module per page or region.

- ``base``: the request, the user's projects and drafts, versions, and ``mutate``, the one
  helper every page write goes through (domain errors become the page's answer);
- ``fields``, ``forms``, ``controls``: the editable fields and their API bodies, the Django
  forms, and what the draft's state allows (the domain's refusals, shown on buttons);
- ``regions``: what the draft page's regions show and how one is rendered alone;
- ``draft_list``, ``draft_create``, ``draft_page``, ``comments``, ``runs``, ``live``: the pages.

The certifier's pages (``certification.views``) reuse ``base``, ``comments`` and ``regions``.
"""
