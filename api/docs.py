"""The API's pages at `/docs`: Swagger UI from the `swagger-ui-bundle-v2` package installed with
the project (pinned in pyproject.toml), served from this origin, never from a CDN.

The page has no inline script or style: Swagger UI starts from a static script of its own
(`/docs/assets/init.js`), so the page's Content-Security-Policy allows this origin's scripts,
styles and images (and the icons Swagger UI's stylesheet embeds as `data:` URIs) and nothing
else. Open without a token, like the OpenAPI document it shows.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from models.errors import ApiError, ErrorType, Problem

__all__ = ["DOCS_CSP", "router"]

router = APIRouter(include_in_schema=False)

DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

# The only files of the bundle the page uses, so nothing else in the package is served.
_BUNDLE_FILES = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png")

# Relative URLs: they resolve against /docs, so the pages work under a path prefix too.
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/assets/init.js"></script>
</body>
</html>
"""

_INIT = """window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""


@router.get("/docs")
async def docs_page(request: Request) -> HTMLResponse:
    page = _PAGE.format(title=html.escape(request.app.title))
    return HTMLResponse(page, headers={"Content-Security-Policy": DOCS_CSP})


@router.get("/docs/assets/init.js")
async def init_script() -> Response:
    return Response(_INIT, media_type="text/javascript")


@router.get("/docs/assets/{name}")
async def bundle_file(name: str) -> FileResponse:
    if name not in _BUNDLE_FILES:
        raise ApiError([Problem(field="path", rule="no such endpoint")],
                       ErrorType.UNKNOWN_REFERENCE)
    return FileResponse(Path(swagger_ui_path) / name)
