package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/rowmap"
)

// spaceList scans scopes stored joined by spaces.
type spaceList struct{ list *[]string }

func (d spaceList) Scan(v any) error {
	switch v := v.(type) {
	case string:
		*d.list = strings.Fields(v)
	case []byte:
		*d.list = strings.Fields(string(v))
	default:
		return fmt.Errorf("scopes hold %T, want TEXT", v)
	}
	return nil
}

func scanToken(s scanner) (*paywarden.Token, error) {
	var t paywarden.Token
	if err := s.Scan(rowmap.TokenDest(&t, spaceList{&t.Scopes}, times)...); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateToken implements paywarden.TokenStore. Scopes are stored joined by
// spaces, so a scope that holds a space is EINVALID.
func (db *DB) CreateToken(ctx context.Context, t *paywarden.Token) (err error) {
	defer derrors.Wrap(&err, "sqlite.CreateToken(%q)", t.ID)
	if err := t.Validate(); err != nil {
		return err
	}
	for _, s := range t.Scopes {
		// Scopes are stored joined by spaces.
		if strings.ContainsAny(s, " \t\n") {
			return paywarden.Errorf(paywarden.EINVALID, "invalid scope %q", s)
		}
	}
	d := t.WithDefaults(db.now())
	tx, err := db.begin(ctx, synced)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO tokens (`+rowmap.TokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		rowmap.TokenValues(&d, strings.Join(t.Scopes, " "), times)...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return paywarden.Errorf(paywarden.EINVALID, "a token with this id or hash exists")
	}
	return tx.Commit()
}

// TokenByHash implements paywarden.TokenStore.
func (db *DB) TokenByHash(ctx context.Context, hash []byte) (_ *paywarden.Token, err error) {
	defer derrors.Wrap(&err, "sqlite.TokenByHash")
	t, err := scanToken(db.read.QueryRowContext(ctx, `SELECT `+rowmap.TokenColumns+` FROM tokens WHERE hash = ?`, hash))
	return t, noRows(err, paywarden.ENOTFOUND, "token not found")
}

// ListTokens implements paywarden.TokenStore.
func (db *DB) ListTokens(ctx context.Context) (_ []*paywarden.Token, err error) {
	defer derrors.Wrap(&err, "sqlite.ListTokens")
	return queryAll(ctx, db.read, scanToken, `SELECT `+rowmap.TokenColumns+` FROM tokens ORDER BY created_at, id`)
}

// RevokeToken implements paywarden.TokenStore.
func (db *DB) RevokeToken(ctx context.Context, id string, at time.Time) (err error) {
	defer derrors.Wrap(&err, "sqlite.RevokeToken(%q)", id)
	return db.updateToken(ctx, id, `UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, micros(at))
}

// TouchToken implements paywarden.TokenStore.
func (db *DB) TouchToken(ctx context.Context, id string, at time.Time) (err error) {
	defer derrors.Wrap(&err, "sqlite.TouchToken(%q)", id)
	return db.updateToken(ctx, id, `UPDATE tokens SET last_used_at = max(coalesce(last_used_at, ?1), ?1) WHERE id = ?2`, micros(at))
}

func (db *DB) updateToken(ctx context.Context, id, query string, at int64) error {
	tx, err := db.begin(ctx, synced)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, query, at, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return paywarden.Errorf(paywarden.ENOTFOUND, "token %s not found", id)
	}
	return tx.Commit()
}

func scanIdempotency(s scanner) (*paywarden.IdempotencyRecord, error) {
	return scanRow(s, rowmap.IdempotencyDest)
}

// BeginIdempotent implements paywarden.IdempotencyStore.
func (db *DB) BeginIdempotent(ctx context.Context, rec *paywarden.IdempotencyRecord) (_ *paywarden.IdempotencyRecord, err error) {
	defer derrors.Wrap(&err, "sqlite.BeginIdempotent(%q, %q)", rec.TokenID, rec.Key)
	if err := rec.Validate(); err != nil {
		return nil, err
	}
	tx, err := db.begin(ctx, unsynced)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	existing, err := beginIdempotent(ctx, tx.Tx, rec, db.now())
	if err != nil {
		return nil, err
	}
	return existing, tx.Commit()
}

func beginIdempotent(ctx context.Context, tx *sql.Tx, rec *paywarden.IdempotencyRecord, now time.Time) (*paywarden.IdempotencyRecord, error) {
	created := rec.WithDefaults(now).CreatedAt
	old, err := scanIdempotency(tx.QueryRowContext(ctx,
		`SELECT `+rowmap.IdempotencyColumns+` FROM idempotency WHERE token_id = ? AND key = ?`, rec.TokenID, rec.Key))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err := tx.ExecContext(ctx, `INSERT INTO idempotency (`+rowmap.IdempotencyColumns+`) VALUES (?, ?, ?, ?, 0, NULL, ?, ?)`,
			rec.TokenID, rec.Key, rowmap.NonNil(rec.RequestHash), micros(rec.LockedUntil),
			micros(created), micros(rec.ExpiresAt))
		return nil, err
	case err != nil:
		return nil, err
	case !old.ExpiresAt.After(now):
		// Expired: as if there were none.
		_, err := tx.ExecContext(ctx, `UPDATE idempotency
			SET request_hash = ?, locked_until = ?, status = 0, body = NULL, created_at = ?, expires_at = ?
			WHERE token_id = ? AND key = ?`,
			rowmap.NonNil(rec.RequestHash), micros(rec.LockedUntil), micros(created), micros(rec.ExpiresAt),
			rec.TokenID, rec.Key)
		return nil, err
	case !old.Done() && !old.LockedUntil.After(now) && bytes.Equal(old.RequestHash, rec.RequestHash):
		// The request that locked it crashed; the same request takes over.
		_, err := tx.ExecContext(ctx, `UPDATE idempotency SET locked_until = ? WHERE token_id = ? AND key = ?`,
			micros(rec.LockedUntil), rec.TokenID, rec.Key)
		return nil, err
	default:
		return old, nil
	}
}

// FinishIdempotent implements paywarden.IdempotencyStore.
func (db *DB) FinishIdempotent(ctx context.Context, tokenID, key string, status int, body []byte) (err error) {
	defer derrors.Wrap(&err, "sqlite.FinishIdempotent(%q, %q)", tokenID, key)
	if err := paywarden.ValidateFinishStatus(status); err != nil {
		return err
	}
	tx, err := db.begin(ctx, unsynced)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE idempotency SET status = ?, body = ?, locked_until = NULL
		WHERE token_id = ? AND key = ?`, status, rowmap.NonNil(body), tokenID, key)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return paywarden.Errorf(paywarden.ENOTFOUND, "idempotency key %s not found", key)
	}
	return tx.Commit()
}

// AbandonIdempotent implements paywarden.IdempotencyStore.
func (db *DB) AbandonIdempotent(ctx context.Context, tokenID, key string) (err error) {
	defer derrors.Wrap(&err, "sqlite.AbandonIdempotent(%q, %q)", tokenID, key)
	tx, err := db.begin(ctx, unsynced)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency WHERE token_id = ? AND key = ? AND status = 0`,
		tokenID, key); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteExpiredIdempotency implements paywarden.IdempotencyStore.
func (db *DB) DeleteExpiredIdempotency(ctx context.Context, now time.Time) (_ int, err error) {
	defer derrors.Wrap(&err, "sqlite.DeleteExpiredIdempotency")
	return db.execCount(ctx, `DELETE FROM idempotency WHERE expires_at < ?`, micros(now))
}
