package sqlite

import (
	"context"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/rowmap"
)

func scanKey(s scanner) (*paywarden.KeyRecord, error) { return scanRow(s, rowmap.KeyDest) }

// RecordKey implements paywarden.KeyStore.
func (db *DB) RecordKey(ctx context.Context, k *paywarden.KeyRecord) (_ *paywarden.KeyRecord, err error) {
	defer derrors.Wrap(&err, "sqlite.RecordKey(%q)", k.Capability)
	if err := k.Validate(); err != nil {
		return nil, err
	}
	tx, err := db.begin(ctx, synced)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	d := k.WithDefaults(db.now())
	stored, err := scanKey(tx.QueryRowContext(ctx, `INSERT INTO keys (`+rowmap.KeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (fingerprint, capability) DO UPDATE SET
			source = excluded.source, kind = excluded.kind, livemode = excluded.livemode,
			first_seen = min(keys.first_seen, excluded.first_seen),
			last_seen = max(keys.last_seen, excluded.last_seen)
		RETURNING `+rowmap.KeyColumns,
		rowmap.KeyValues(&d, times)...))
	if err != nil {
		return nil, err
	}
	return stored, tx.Commit()
}

// Keys implements paywarden.KeyStore.
func (db *DB) Keys(ctx context.Context) (_ []*paywarden.KeyRecord, err error) {
	defer derrors.Wrap(&err, "sqlite.Keys")
	return queryAll(ctx, db.read, scanKey, `SELECT `+rowmap.KeyColumns+` FROM keys ORDER BY first_seen DESC, fingerprint, capability`)
}
