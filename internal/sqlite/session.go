package sqlite

import (
	"context"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/rowmap"
)

func scanSession(s scanner) (*paywarden.Session, error) {
	var v paywarden.Session
	if err := s.Scan(rowmap.SessionDest(&v, spaceList{&v.Scopes}, times)...); err != nil {
		return nil, err
	}
	return &v, nil
}

// CreateSession implements paywarden.SessionStore.
func (db *DB) CreateSession(ctx context.Context, s *paywarden.Session) (err error) {
	defer derrors.Wrap(&err, "sqlite.CreateSession(%q)", s.TokenID)
	if err := s.Validate(); err != nil {
		return err
	}
	d := s.WithDefaults(db.now())
	tx, err := db.begin(ctx, synced)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tokens WHERE id = ?)`, d.TokenID).Scan(&exists); err != nil {
		return err
	} else if !exists {
		return paywarden.Errorf(paywarden.ENOTFOUND, "token %s not found", d.TokenID)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO ui_sessions (`+rowmap.SessionColumns+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, rowmap.SessionValues(&d, times)...)
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

// SessionByHash implements paywarden.SessionStore.
func (db *DB) SessionByHash(ctx context.Context, hash []byte) (_ *paywarden.Session, err error) {
	defer derrors.Wrap(&err, "sqlite.SessionByHash")
	s, err := scanSession(db.read.QueryRowContext(ctx, `SELECT `+rowmap.SessionTokenColumns+`
		FROM ui_sessions s JOIN tokens t ON t.id = s.token_id
		WHERE s.hash = ? AND s.expires_at > ? AND t.revoked_at IS NULL`, hash, micros(db.now())))
	return s, noRows(err, paywarden.ENOTFOUND, "no live session")
}

// DeleteSession implements paywarden.SessionStore.
func (db *DB) DeleteSession(ctx context.Context, hash []byte) (err error) {
	defer derrors.Wrap(&err, "sqlite.DeleteSession")
	_, err = db.execCount(ctx, `DELETE FROM ui_sessions WHERE hash = ?`, hash)
	return err
}

// DeleteExpiredSessions implements paywarden.SessionStore.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (_ int, err error) {
	defer derrors.Wrap(&err, "sqlite.DeleteExpiredSessions")
	return db.execCount(ctx, `DELETE FROM ui_sessions WHERE expires_at < ?
		OR token_id IN (SELECT id FROM tokens WHERE revoked_at IS NOT NULL)`, micros(now))
}
