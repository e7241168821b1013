"""Admin: create, list and revoke the API keys that scripts and integrations present."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import AdminDep, ApiKeysDep
from api.errors import responses
from api.keys import DEFAULT_RATE, MAX_NAME_CHARS, ApiKey, InvalidKeySpec, UnknownKey
from api.schemas import RequestModel

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class KeyIn(RequestModel):
    """A key to create."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS, description="Who or what uses it.")
    rate: str = Field(
        default=DEFAULT_RATE,
        max_length=200,
        description="Its limit in `limits` notation, e.g. `600/minute` or `10/second;5000/hour`.",
    )
    admin: bool = Field(
        default=False,
        description="An admin key: it may call the admin endpoints and sign in to the console.",
    )


class KeyOut(BaseModel):
    """A key as listed: never its token nor the token's hash."""

    id: str
    name: str
    prefix: str = Field(description="The token's first characters, to tell keys apart.")
    rate: str
    created_at: str
    revoked: bool
    revoked_at: str | None
    admin: bool

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        """The API form of a stored key."""
        return cls(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            rate=key.rate,
            created_at=key.created_at,
            revoked=key.revoked,
            revoked_at=key.revoked_at,
            admin=key.admin,
        )


class KeyCreated(KeyOut):
    """A new key with its token: shown this once, store it now."""

    token: str = Field(
        description="Send as `Authorization: Bearer <token>` or `X-API-Key: <token>`."
    )


class KeyList(BaseModel):
    """Every key, oldest first, revoked ones included."""

    items: list[KeyOut]


@router.post(
    "/keys",
    status_code=201,
    response_model=KeyCreated,
    dependencies=[AdminDep],
    responses=responses(400, 401, 413, 422, 503),
)
async def create_key(body: KeyIn, keys: ApiKeysDep) -> KeyCreated:
    """Create an API key with its own rate limit; the token is in this response only (admin)."""
    try:
        new = await run_in_threadpool(keys.create, body.name, body.rate, body.admin)
    except InvalidKeySpec as exc:
        raise HTTPException(422, str(exc)) from exc
    return KeyCreated(**KeyOut.of(new.key).model_dump(), token=new.token)


@router.get("/keys", response_model=KeyList, dependencies=[AdminDep], responses=responses(401, 503))
async def list_keys(keys: ApiKeysDep) -> KeyList:
    """Every API key without its token (admin)."""
    return KeyList(items=[KeyOut.of(k) for k in await run_in_threadpool(keys.all)])


@router.delete(
    "/keys/{key_id}",
    status_code=204,
    response_class=Response,
    dependencies=[AdminDep],
    responses=responses(401, 404, 503),
)
async def revoke_key(key_id: str, keys: ApiKeysDep) -> Response:
    """Revoke a key: its next request gets 401; revoking twice is harmless (admin)."""
    try:
        await run_in_threadpool(keys.revoke, key_id)
    except UnknownKey as exc:
        raise HTTPException(404, str(exc)) from exc
    return Response(status_code=204)
