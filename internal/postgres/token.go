package postgres

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/rowmap"
)

func scanToken(row pgx.Row) (*paywarden.Token, error) {
	var t paywarden.Token
	if err := row.Scan(rowmap.TokenDest(&t, &t.Scopes, times)...); err != nil {
		return nil, err
	}
	if len(t.Scopes) == 0 {
		t.Scopes = nil
	}
	return &t, nil
}

// CreateToken implements paywarden.TokenStore.
func (db *DB) CreateToken(ctx context.Context, t *paywarden.Token) (err error) {
	defer derrors.Wrap(&err, "postgres.CreateToken(%q)", t.ID)
	if err := t.Validate(); err != nil {
		return err
	}
	scopes := t.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	d := t.WithDefaults(db.now())
	return db.transact(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO tokens (`+rowmap.TokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT DO NOTHING`,
			rowmap.TokenValues(&d, scopes, times)...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return paywarden.Errorf(paywarden.EINVALID, "a token with this id or hash exists")
		}
		return nil
	})
}

// TokenByHash implements paywarden.TokenStore.
func (db *DB) TokenByHash(ctx context.Context, hash []byte) (_ *paywarden.Token, err error) {
	defer derrors.Wrap(&err, "postgres.TokenByHash")
	t, err := scanToken(db.pool.QueryRow(ctx, `SELECT `+rowmap.TokenColumns+` FROM tokens WHERE hash = $1`, hash))
	return t, noRows(err, paywarden.ENOTFOUND, "token not found")
}

// ListTokens implements paywarden.TokenStore.
func (db *DB) ListTokens(ctx context.Context) (_ []*paywarden.Token, err error) {
	defer derrors.Wrap(&err, "postgres.ListTokens")
	return queryAll(ctx, db.pool, scanToken, `SELECT `+rowmap.TokenColumns+` FROM tokens ORDER BY created_at, id`)
}

// RevokeToken implements paywarden.TokenStore.
func (db *DB) RevokeToken(ctx context.Context, id string, at time.Time) (err error) {
	defer derrors.Wrap(&err, "postgres.RevokeToken(%q)", id)
	return db.updateToken(ctx, id, `UPDATE tokens SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2`, at)
}

// TouchToken implements paywarden.TokenStore.
func (db *DB) TouchToken(ctx context.Context, id string, at time.Time) (err error) {
	defer derrors.Wrap(&err, "postgres.TouchToken(%q)", id)
	return db.updateToken(ctx, id, `UPDATE tokens SET last_used_at = greatest(last_used_at, $1) WHERE id = $2`, at)
}

func (db *DB) updateToken(ctx context.Context, id, query string, at time.Time) error {
	return db.transact(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, query, ts(at), id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return paywarden.Errorf(paywarden.ENOTFOUND, "token %s not found", id)
		}
		return nil
	})
}

func scanIdempotency(row pgx.Row) (*paywarden.IdempotencyRecord, error) {
	return scanRow(row, rowmap.IdempotencyDest)
}

// BeginIdempotent implements paywarden.IdempotencyStore. Replicas racing on
// one key are ordered by the row lock: one stores or takes over the record,
// the others get it.
func (db *DB) BeginIdempotent(ctx context.Context, rec *paywarden.IdempotencyRecord) (existing *paywarden.IdempotencyRecord, err error) {
	defer derrors.Wrap(&err, "postgres.BeginIdempotent(%q, %q)", rec.TokenID, rec.Key)
	if err := rec.Validate(); err != nil {
		return nil, err
	}
	now := db.now()
	err = db.transact(ctx, func(tx pgx.Tx) error {
		if err := unsynced(ctx, tx); err != nil {
			return err
		}
		existing, err = beginIdempotent(ctx, tx, rec, now)
		return err
	})
	return existing, err
}

func beginIdempotent(ctx context.Context, tx pgx.Tx, rec *paywarden.IdempotencyRecord, now time.Time) (*paywarden.IdempotencyRecord, error) {
	created := rec.WithDefaults(now).CreatedAt
	// Insert first: ON CONFLICT waits for a concurrent insert of the same
	// key to commit or abort, so afterwards the row, if any, can be locked.
	for {
		tag, err := tx.Exec(ctx, `INSERT INTO idempotency (`+rowmap.IdempotencyColumns+`)
			VALUES ($1, $2, $3, $4, 0, NULL, $5, $6) ON CONFLICT DO NOTHING`,
			rec.TokenID, rec.Key, rowmap.NonNil(rec.RequestHash), ts(rec.LockedUntil), ts(created), ts(rec.ExpiresAt))
		if err != nil {
			return nil, err
		}
		if tag.RowsAffected() == 1 {
			return nil, nil
		}
		old, err := scanIdempotency(tx.QueryRow(ctx, `SELECT `+rowmap.IdempotencyColumns+` FROM idempotency
			WHERE token_id = $1 AND key = $2 FOR UPDATE`, rec.TokenID, rec.Key))
		if errors.Is(err, pgx.ErrNoRows) {
			continue // abandoned or deleted in between: insert again
		} else if err != nil {
			return nil, err
		}
		switch {
		case !old.ExpiresAt.After(now):
			// Expired: as if there were none.
			_, err := tx.Exec(ctx, `UPDATE idempotency
				SET request_hash = $1, locked_until = $2, status = 0, body = NULL, created_at = $3, expires_at = $4
				WHERE token_id = $5 AND key = $6`,
				rowmap.NonNil(rec.RequestHash), ts(rec.LockedUntil), ts(created), ts(rec.ExpiresAt), rec.TokenID, rec.Key)
			return nil, err
		case !old.Done() && !old.LockedUntil.After(now) && bytes.Equal(old.RequestHash, rec.RequestHash):
			// The request that locked it crashed; the same request takes over.
			_, err := tx.Exec(ctx, `UPDATE idempotency SET locked_until = $1 WHERE token_id = $2 AND key = $3`,
				ts(rec.LockedUntil), rec.TokenID, rec.Key)
			return nil, err
		default:
			return old, nil
		}
	}
}

// FinishIdempotent implements paywarden.IdempotencyStore.
func (db *DB) FinishIdempotent(ctx context.Context, tokenID, key string, status int, body []byte) (err error) {
	defer derrors.Wrap(&err, "postgres.FinishIdempotent(%q, %q)", tokenID, key)
	if err := paywarden.ValidateFinishStatus(status); err != nil {
		return err
	}
	return db.transact(ctx, func(tx pgx.Tx) error {
		if err := unsynced(ctx, tx); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE idempotency SET status = $1, body = $2, locked_until = NULL
			WHERE token_id = $3 AND key = $4`, status, rowmap.NonNil(body), tokenID, key)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return paywarden.Errorf(paywarden.ENOTFOUND, "idempotency key %s not found", key)
		}
		return nil
	})
}

// AbandonIdempotent implements paywarden.IdempotencyStore.
func (db *DB) AbandonIdempotent(ctx context.Context, tokenID, key string) (err error) {
	defer derrors.Wrap(&err, "postgres.AbandonIdempotent(%q, %q)", tokenID, key)
	return db.transact(ctx, func(tx pgx.Tx) error {
		if err := unsynced(ctx, tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM idempotency WHERE token_id = $1 AND key = $2 AND status = 0`, tokenID, key)
		return err
	})
}

// unsynced lets tx commit without waiting for the WAL flush: the commit
// survives a crash of paywarden but not of the database server. Only writes
// whose loss is safe use it: idempotency records (the Stripe idempotency
// key is derived from the caller's key, so a retry reaches Stripe with the
// same key and Stripe answers as it did) and the workers' claims,
// completions and failures (a lost one leaves the event, whose insert was
// synced, to be processed again). Inserted events are always synced.
func unsynced(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off")
	return err
}

// DeleteExpiredIdempotency implements paywarden.IdempotencyStore.
func (db *DB) DeleteExpiredIdempotency(ctx context.Context, now time.Time) (_ int, err error) {
	defer derrors.Wrap(&err, "postgres.DeleteExpiredIdempotency")
	return db.execCount(ctx, `DELETE FROM idempotency WHERE expires_at < $1`, ts(now))
}
