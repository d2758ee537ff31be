"""Re-encrypting every Page token under the newest key (`parley tenants rotate-keys`)."""

from __future__ import annotations

from parley_kit.db import Pool, unit_of_work
from parley_tenants.adapters import pages_repo
from parley_tenants.adapters.crypto import TokenCipher


async def rotate_keys(pool: Pool, cipher: TokenCipher, *, batch: int = 200) -> int:
    """Re-encrypt, batch by batch, every token not written with the first key; how many."""
    total = 0
    while True:
        async with unit_of_work(pool) as conn:
            tokens = await pages_repo.list_tokens_not_under(
                conn, key_id=cipher.current_key_id, limit=batch
            )
            for token in tokens:
                await pages_repo.update_token(
                    conn,
                    page_id=token.page_id,
                    ciphertext=cipher.rotate(token.ciphertext),
                    key_id=cipher.current_key_id,
                )
        total += len(tokens)
        if len(tokens) < batch:
            return total
