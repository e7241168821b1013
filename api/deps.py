"""FastAPI dependencies: the container built once per app, and what routes need from it."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api import session as admin_session
from api.keys import KeyStore, UnknownKey, admin_holder
from api.middleware import request_id_of
from api.unanswered import Recorder
from assistant.container import Container
from assistant.language import preferred
from assistant.pipeline import Assistant
from assistant.settings import Settings
from assistant.storage.documents import DocumentCatalog
from assistant.storage.feedback import FeedbackStore
from ingest.library import Library

_library_lock = threading.Lock()


def get_container(request: Request) -> Container:
    """The app's composition root."""
    container: Container = request.app.state.container
    return container


def get_assistant(container: Annotated[Container, Depends(get_container)]) -> Assistant:
    """The question-answering pipeline."""
    return container.assistant


def get_settings(container: Annotated[Container, Depends(get_container)]) -> Settings:
    """The app's settings."""
    return container.settings


def get_documents(container: Annotated[Container, Depends(get_container)]) -> DocumentCatalog:
    """The document catalogue."""
    return container.documents


def get_feedback(container: Annotated[Container, Depends(get_container)]) -> FeedbackStore:
    """The ratings store."""
    return container.feedback


def get_unanswered(container: Annotated[Container, Depends(get_container)]) -> Recorder:
    """Records declined and partial answers (nothing when `api.record_unanswered` is off)."""
    return Recorder(container.unanswered, container.settings.api.record_unanswered)


def get_library(request: Request) -> Library:
    """Upload, delete and reindex (one per app: it holds the lock that serialises writes)."""
    library: Library | None = getattr(request.app.state, "library", None)
    if library is None:
        with _library_lock:
            library = getattr(request.app.state, "library", None)
            if library is None:
                container = get_container(request)
                library = Library.for_container(container)
                request.app.state.library = library
    return library


def get_api_keys(request: Request) -> KeyStore:
    """The API key store (the one the rate-limit middleware checks keys against)."""
    keys: KeyStore = request.app.state.api_keys
    return keys


def get_request_id(request: Request) -> str:
    """The id of this request (also in the `X-Request-ID` response header)."""
    return request_id_of(request.scope) or ""


_bearer = HTTPBearer(auto_error=False, description="The admin API key as a bearer token.")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="The admin API key.")


def get_preferred_language(request: Request) -> str | None:
    """The EU language the client prefers (its `Accept-Language` header), or None: answers'
    own texts are worded in it when the question's language cannot be told ("ECCP?")."""
    return preferred(request.headers.get("accept-language"))


def _session_key_revoked(keys: KeyStore, session: admin_session.AdminSession) -> bool:
    """Whether the admin API key a session was opened with is revoked (or gone, or no longer
    an admin key); a session opened with the admin key itself never is."""
    if session.key_id is None:
        return False
    try:
        key = keys.get(session.key_id)
    except UnknownKey:
        return True
    return key.revoked or not key.admin


def console_session(request: Request, settings: Settings) -> admin_session.AdminSession | None:
    """The admin console session this request's cookie stands for, if valid and not ended by
    the revocation of its admin API key."""
    expected = settings.api.admin_api_key.get_secret_value()
    session = admin_session.verify(request.cookies.get(admin_session.COOKIE_NAME), expected)
    if session is None or _session_key_revoked(get_api_keys(request), session):
        return None
    return session


def configured_admin_key(
    settings: Settings, disabled: str, headers: dict[str, str] | None = None
) -> str:
    """The admin key, or 401 opening with `disabled` ("admin endpoints are disabled") and
    saying that no admin key is configured."""
    key = settings.api.admin_api_key.get_secret_value()
    if not key:
        raise HTTPException(
            401,
            f"{disabled}: no admin API key is configured (set ASSISTANT_API__ADMIN_API_KEY)",
            headers=headers,
        )
    return key


def require_admin(
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    api_key: Annotated[str | None, Security(_api_key)],
) -> None:
    """401 unless the request carries the admin key or an admin API key (the admin key compared
    in constant time), or the admin console's session cookie; with the cookie, a change also
    needs the session's CSRF token (403 without it, or from another origin)."""
    challenge = {"WWW-Authenticate": "Bearer"}
    expected = configured_admin_key(settings, "admin endpoints are disabled", challenge)
    offered = bearer.credentials if bearer is not None else api_key
    if not offered:
        session = console_session(request, settings)
        if session is None:
            raise HTTPException(
                401,
                "admin API key required (Authorization: Bearer <key> or X-API-Key: <key>), "
                "or sign in at /admin",
                headers=challenge,
            )
        if request.method not in admin_session.SAFE_METHODS and not (
            admin_session.change_allowed(request, session)
        ):
            raise HTTPException(
                403,
                f"CSRF check failed: a change made with the admin session needs its "
                f"{admin_session.CSRF_HEADER} header, from this service's own origin",
            )
        return
    if admin_holder(get_api_keys(request), expected, offered) is None:
        raise HTTPException(401, "invalid admin API key", headers=challenge)


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ContainerDep = Annotated[Container, Depends(get_container)]
DocumentsDep = Annotated[DocumentCatalog, Depends(get_documents)]
FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback)]
UnansweredDep = Annotated[Recorder, Depends(get_unanswered)]
LibraryDep = Annotated[Library, Depends(get_library)]
RequestIdDep = Annotated[str, Depends(get_request_id)]
PreferredLanguageDep = Annotated[str | None, Depends(get_preferred_language)]
ApiKeysDep = Annotated[KeyStore, Depends(get_api_keys)]
AdminDep = Depends(require_admin)
