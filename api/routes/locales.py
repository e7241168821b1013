"""GET /v1/locales/{language}: the widget's interface texts in one EU language."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse

from api.errors import responses
from assistant.language import EU_LANGUAGES, normalise
from assistant.messages import catalogue

router = APIRouter(prefix="/v1", tags=["locales"])


@router.get("/locales/{language}", responses=responses(404))
async def locale(language: str) -> JSONResponse:
    """The `ui.*` messages of `language` (a BCP 47 tag such as `fr` or `pl-PL`), cacheable."""
    code = normalise(language)
    if code is None:
        codes = ", ".join(sorted(EU_LANGUAGES))
        raise HTTPException(404, f"no catalogue for {language!r}; languages: {codes}")
    texts = {k[3:]: v for k, v in catalogue(code).items() if k.startswith("ui.")}
    body = {"language": code, "name": catalogue(code)["language_name"], "messages": texts}
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=3600"})
