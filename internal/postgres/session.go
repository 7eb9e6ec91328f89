package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/rowmap"
)

func scanSession(row pgx.Row) (*paywarden.Session, error) {
	var s paywarden.Session
	if err := row.Scan(rowmap.SessionDest(&s, &s.Scopes, times)...); err != nil {
		return nil, err
	}
	if len(s.Scopes) == 0 {
		s.Scopes = nil
	}
	return &s, nil
}

// CreateSession implements paywarden.SessionStore.
func (db *DB) CreateSession(ctx context.Context, s *paywarden.Session) (err error) {
	defer derrors.Wrap(&err, "postgres.CreateSession(%q)", s.TokenID)
	if err := s.Validate(); err != nil {
		return err
	}
	d := s.WithDefaults(db.now())
	return db.transact(ctx, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tokens WHERE id = $1)`, d.TokenID).Scan(&exists); err != nil {
			return err
		} else if !exists {
			return paywarden.Errorf(paywarden.ENOTFOUND, "token %s not found", d.TokenID)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO ui_sessions (`+rowmap.SessionColumns+`) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT DO NOTHING`, rowmap.SessionValues(&d, times)...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return paywarden.Errorf(paywarden.EINVALID, "a session with this hash exists")
		}
		return nil
	})
}

// SessionByHash implements paywarden.SessionStore.
func (db *DB) SessionByHash(ctx context.Context, hash []byte) (_ *paywarden.Session, err error) {
	defer derrors.Wrap(&err, "postgres.SessionByHash")
	s, err := scanSession(db.pool.QueryRow(ctx, `SELECT `+rowmap.SessionTokenColumns+`
		FROM ui_sessions s JOIN tokens t ON t.id = s.token_id
		WHERE s.hash = $1 AND s.expires_at > $2 AND t.revoked_at IS NULL`, hash, ts(db.now())))
	return s, noRows(err, paywarden.ENOTFOUND, "no live session")
}

// DeleteSession implements paywarden.SessionStore.
func (db *DB) DeleteSession(ctx context.Context, hash []byte) (err error) {
	defer derrors.Wrap(&err, "postgres.DeleteSession")
	_, err = db.execCount(ctx, `DELETE FROM ui_sessions WHERE hash = $1`, hash)
	return err
}

// DeleteExpiredSessions implements paywarden.SessionStore.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (_ int, err error) {
	defer derrors.Wrap(&err, "postgres.DeleteExpiredSessions")
	return db.execCount(ctx, `DELETE FROM ui_sessions WHERE expires_at < $1
		OR token_id IN (SELECT id FROM tokens WHERE revoked_at IS NOT NULL)`, ts(now))
}
