package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paywarden/paywarden"
)

// CreateSession stores a dashboard session; see paywarden.SessionStore.
func (db *DB) CreateSession(ctx context.Context, s *paywarden.Session) (err error) {
	defer wrap(&err, "postgres.CreateSession(%q)", s.TokenID)
	if err := s.Validate(); err != nil {
		return err
	}
	created := orNow(s.CreatedAt, db.now())
	return db.transact(ctx, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tokens WHERE id = $1)`, s.TokenID).Scan(&exists); err != nil {
			return err
		} else if !exists {
			return paywarden.Errorf(paywarden.ENOTFOUND, "token %s not found", s.TokenID)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO ui_sessions (hash, token_id, csrf, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
			s.Hash, s.TokenID, s.CSRF, ts(created), ts(s.ExpiresAt))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return paywarden.Errorf(paywarden.EINVALID, "a session with this hash exists")
		}
		return nil
	})
}

// SessionByHash returns a live session of a token that is not revoked;
// see paywarden.SessionStore.
func (db *DB) SessionByHash(ctx context.Context, hash []byte) (_ *paywarden.Session, err error) {
	defer wrap(&err, "postgres.SessionByHash")
	var (
		s                paywarden.Session
		created, expires pgtype.Timestamptz
	)
	err = db.pool.QueryRow(ctx, `SELECT s.hash, s.token_id, s.csrf, s.created_at, s.expires_at, t.name, t.scopes
		FROM ui_sessions s JOIN tokens t ON t.id = s.token_id
		WHERE s.hash = $1 AND s.expires_at > $2 AND t.revoked_at IS NULL`, hash, ts(db.now())).
		Scan(&s.Hash, &s.TokenID, &s.CSRF, &created, &expires, &s.TokenName, &s.Scopes)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paywarden.Errorf(paywarden.ENOTFOUND, "no live session")
	} else if err != nil {
		return nil, err
	}
	s.CreatedAt, s.ExpiresAt = fromTS(created), fromTS(expires)
	if len(s.Scopes) == 0 {
		s.Scopes = nil
	}
	return &s, nil
}

// DeleteSession deletes a session; none is not an error.
func (db *DB) DeleteSession(ctx context.Context, hash []byte) (err error) {
	defer wrap(&err, "postgres.DeleteSession")
	_, err = db.deleteSessions(ctx, `DELETE FROM ui_sessions WHERE hash = $1`, hash)
	return err
}

// DeleteExpiredSessions removes expired sessions and those of revoked
// tokens.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (_ int, err error) {
	defer wrap(&err, "postgres.DeleteExpiredSessions")
	return db.deleteSessions(ctx, `DELETE FROM ui_sessions WHERE expires_at < $1
		OR token_id IN (SELECT id FROM tokens WHERE revoked_at IS NOT NULL)`, ts(now))
}

func (db *DB) deleteSessions(ctx context.Context, query string, args ...any) (n int, err error) {
	err = db.transact(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, query, args...)
		n = int(tag.RowsAffected())
		return err
	})
	return n, err
}
