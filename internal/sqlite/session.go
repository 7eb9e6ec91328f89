package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

// CreateSession stores a dashboard session; see paywarden.SessionStore.
func (db *DB) CreateSession(ctx context.Context, s *paywarden.Session) (err error) {
	defer wrap(&err, "sqlite.CreateSession(%q)", s.TokenID)
	if err := s.Validate(); err != nil {
		return err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE id = ?`, s.TokenID).Scan(&n); err != nil {
		return err
	} else if n == 0 {
		return paywarden.Errorf(paywarden.ENOTFOUND, "token %s not found", s.TokenID)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO ui_sessions (hash, token_id, csrf, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		s.Hash, s.TokenID, s.CSRF, micros(orNow(s.CreatedAt, db.now())), micros(s.ExpiresAt))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return paywarden.Errorf(paywarden.EINVALID, "a session with this hash exists")
	}
	return tx.Commit()
}

// SessionByHash returns a live session of a token that is not revoked;
// see paywarden.SessionStore.
func (db *DB) SessionByHash(ctx context.Context, hash []byte) (_ *paywarden.Session, err error) {
	defer wrap(&err, "sqlite.SessionByHash")
	var (
		s                paywarden.Session
		scopes           string
		created, expires sql.NullInt64
	)
	err = db.read.QueryRowContext(ctx, `SELECT s.hash, s.token_id, s.csrf, s.created_at, s.expires_at, t.name, t.scopes
		FROM ui_sessions s JOIN tokens t ON t.id = s.token_id
		WHERE s.hash = ? AND s.expires_at > ? AND t.revoked_at IS NULL`, hash, micros(db.now())).
		Scan(&s.Hash, &s.TokenID, &s.CSRF, &created, &expires, &s.TokenName, &scopes)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paywarden.Errorf(paywarden.ENOTFOUND, "no live session")
	} else if err != nil {
		return nil, err
	}
	s.CreatedAt, s.ExpiresAt = fromMicros(created), fromMicros(expires)
	s.Scopes = strings.Fields(scopes)
	return &s, nil
}

// DeleteSession deletes a session; none is not an error.
func (db *DB) DeleteSession(ctx context.Context, hash []byte) (err error) {
	defer wrap(&err, "sqlite.DeleteSession")
	_, err = db.deleteSessions(ctx, `DELETE FROM ui_sessions WHERE hash = ?`, hash)
	return err
}

// DeleteExpiredSessions removes expired sessions and those of revoked
// tokens.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (_ int, err error) {
	defer wrap(&err, "sqlite.DeleteExpiredSessions")
	return db.deleteSessions(ctx, `DELETE FROM ui_sessions WHERE expires_at < ?
		OR token_id IN (SELECT id FROM tokens WHERE revoked_at IS NOT NULL)`, micros(now))
}

func (db *DB) deleteSessions(ctx context.Context, query string, args ...any) (int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return int(n), tx.Commit()
}
