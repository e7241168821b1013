"""Sign-in to the admin console (`/admin`): a session cookie in place of the admin key header.

See `api.session` for the cookie and the CSRF token. The key is sent once, in the body of
``POST /v1/admin/session``, never in a URL; the page keeps only the CSRF token, in memory.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api import session as admin_session
from api.deps import ApiKeysDep, SettingsDep, configured_admin_key, console_session
from api.errors import responses
from api.keys import admin_holder
from api.schemas import RequestModel

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class SignIn(RequestModel):
    """The admin key, to open a console session."""

    model_config = ConfigDict(extra="forbid", strict=True)

    key: str = Field(
        min_length=1, max_length=1000, description="The admin key, or an admin API key."
    )


class SessionOut(BaseModel):
    """This browser's console session (its cookie is HttpOnly: scripts never see it)."""

    signed_in: bool
    csrf_token: str | None = Field(
        description="Send as `X-CSRF-Token` with every change made with the session cookie."
    )
    expires_at: str | None = Field(description="When the session ends (ISO 8601, UTC).")


def _out(session: admin_session.AdminSession | None) -> SessionOut:
    if session is None:
        return SessionOut(signed_in=False, csrf_token=None, expires_at=None)
    expires = datetime.fromtimestamp(session.expires_at, UTC).isoformat(timespec="seconds")
    return SessionOut(signed_in=True, csrf_token=session.csrf_token, expires_at=expires)


def _admin_key(settings: SettingsDep) -> str:
    return configured_admin_key(settings, "the admin console is disabled")


@router.post(
    "/session",
    response_model=SessionOut,
    responses=responses(400, 401, 403, 413, 422, 429),
)
async def sign_in(
    body: SignIn, request: Request, settings: SettingsDep, keys: ApiKeysDep
) -> JSONResponse:
    """Sign in with the admin key or an admin API key: sets the session cookie, returns the
    CSRF token."""
    expected = _admin_key(settings)
    if not admin_session.same_origin(request):
        raise HTTPException(403, "sign-in is accepted from this service's own pages only")
    holder = await run_in_threadpool(admin_holder, keys, expected, body.key)
    if holder is None:
        raise HTTPException(401, "wrong admin key")
    key_id = holder.key_id
    lifetime = settings.api.admin_session_minutes * 60
    value, session = admin_session.issue(expected, lifetime, key_id)
    response = JSONResponse(_out(session).model_dump())
    admin_session.set_cookie(response, request, value, lifetime)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/session", response_model=SessionOut, responses=responses(401))
async def current_session(request: Request, settings: SettingsDep) -> JSONResponse:
    """Whether this browser is signed in, with the session's CSRF token when it is (401 only
    when the console is disabled)."""
    _admin_key(settings)
    session = await run_in_threadpool(console_session, request, settings)
    return JSONResponse(_out(session).model_dump(), headers={"Cache-Control": "no-store"})


@router.delete("/session", status_code=204, response_class=Response, responses=responses(403))
async def sign_out(request: Request, settings: SettingsDep) -> Response:
    """Sign out: the cookie is removed (a valid session needs its CSRF token to end it)."""
    session = await run_in_threadpool(console_session, request, settings)
    if session is not None and not admin_session.change_allowed(request, session):
        raise HTTPException(403, f"sign-out needs the session's {admin_session.CSRF_HEADER}")
    response = Response(status_code=204)
    admin_session.clear_cookie(response, request)
    return response
