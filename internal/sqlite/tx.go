package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
)

// tx is a transaction of this store. Every method that needs one uses it
// the same way, as wtf's sqlite store does: begin, defer Rollback, work
// through unexported helpers that take (ctx, *sql.Tx, ...), Commit.
type tx struct {
	*sql.Tx
	release func() // gives back a connection set up by begin, if any
}

// Rollback ends the transaction if Commit has not, and gives back its
// connection; it is always deferred, and harmless after Commit.
func (tx *tx) Rollback() {
	tx.Tx.Rollback()
	if tx.release != nil {
		tx.release()
	}
}

// durability says whether a write transaction's commit waits for fsync.
type durability int

const (
	// synced commits with synchronous=FULL, the connection's setting.
	synced durability = iota
	// unsynced commits with synchronous=NORMAL: in WAL mode the commit
	// survives a crash of paywarden but not of the machine, and costs no
	// fsync; the next synced commit makes it durable too, as the WAL is
	// written in order. Only writes whose loss is safe use it: idempotency
	// records (the Stripe idempotency key is derived from the caller's, so a
	// retry reaches Stripe with the same key) and the workers' claims,
	// completions and failures (a lost one leaves the event, whose insert
	// was synced, to be processed again). Inserted events are always synced.
	unsynced
)

// begin begins a write transaction (IMMEDIATE, on the one writer
// connection).
func (db *DB) begin(ctx context.Context, d durability) (*tx, error) {
	if d == synced {
		t, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		return &tx{Tx: t}, nil
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		conn.Close()
		return nil, err
	}
	restore := func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = FULL"); err != nil {
			// Never return a connection that does not sync to the pool.
			conn.Raw(func(any) error { return driver.ErrBadConn })
			db.logger.Error("restoring synchronous=FULL; the connection is discarded", "err", err)
		}
		conn.Close()
	}
	t, err := conn.BeginTx(ctx, nil)
	if err != nil {
		restore()
		return nil, err
	}
	return &tx{Tx: t, release: restore}, nil
}

// beginRead begins a read-only transaction on the read pool, for reads
// that must see one snapshot.
func (db *DB) beginRead(ctx context.Context) (*tx, error) {
	t, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	return &tx{Tx: t}, nil
}

// execCount runs one synced write statement in its own transaction and
// returns how many rows it changed.
func (db *DB) execCount(ctx context.Context, query string, args ...any) (int, error) {
	tx, err := db.begin(ctx, synced)
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
