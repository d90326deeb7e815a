// Package sqlite is the embedded, durable [memory.Store] and
// [memory.NoteStore]: one SQLite file, written with modernc.org/sqlite (pure
// Go, no cgo), safe for concurrent appends from several goroutines and
// several processes.
//
//	st, err := sqlite.Open(ctx, "agent.db", nil)
//	if err != nil { ... }
//	defer st.Close()
//	h := memory.NewHistory(st, convID, memory.HistoryOptions{Budget: 8000})
//
// It is a package of its own so that programs that keep memory elsewhere
// do not link SQLite (some megabytes of translated C).
//
// The file is in WAL mode (readers never wait for the writer) with a busy
// timeout: a writer that finds the file locked by another process waits up
// to Options.BusyTimeout, then fails with [memory.ErrBusy]. Each Append is
// one IMMEDIATE transaction that gives the messages the next sequence
// numbers of their conversation, so the order is total and gap-free; the
// message id is the primary key, so an append retried after a crash or a
// lost reply writes nothing twice. A process killed in the middle of an
// append leaves either all of its messages or none.
//
// The schema carries a version (table schema_version); Open migrates an
// older file forward in one transaction, and refuses a file from a newer
// version. A file that is not a SQLite database, or is damaged, fails Open
// with [memory.ErrCorrupt].
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/memory"
)

// Options configures Open. A nil *Options uses the defaults.
type Options struct {
	// BusyTimeout is how long a write waits for another process's lock
	// before failing with memory.ErrBusy. Default 5s.
	BusyTimeout time.Duration
	// Synchronous is SQLite's synchronous setting: "NORMAL" (the default)
	// loses nothing when a process dies, and at most the last transactions
	// when the machine loses power; "FULL" syncs each append to disk (slower).
	Synchronous string
	// MaxReaders caps the connections used for reads. Default 4.
	MaxReaders int
}

// Store is a SQLite-backed memory.Store and memory.NoteStore. It is safe
// for concurrent use, and several processes may open the same file.
type Store struct {
	path string
	db   *sql.DB

	wmu   sync.Mutex // serializes this process's writes on wconn
	wconn *sql.Conn
	stmts writeStmts
	rget  *sql.Stmt
	rsum  *sql.Stmt

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// checkOpen returns ErrUnavailable once the store is closed.
func (s *Store) checkOpen(op string) error {
	if s.closed.Load() {
		return wrap(s.path, op, errClosedStore)
	}
	return nil
}

type writeStmts struct {
	getMsg, ensureConv, lastSeq, insMsg, updConv *sql.Stmt
}

// SchemaVersion is the schema version this package writes.
const SchemaVersion = 2

// migrations[i] takes a file from version i to i+1.
var migrations = []string{
	`CREATE TABLE conversations (
		id BLOB PRIMARY KEY,
		created INTEGER NOT NULL,
		updated INTEGER NOT NULL,
		last_seq INTEGER NOT NULL DEFAULT 0,
		summary TEXT NOT NULL DEFAULT '',
		summary_through INTEGER NOT NULL DEFAULT 0,
		summary_time INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX conversations_updated ON conversations (updated);
	CREATE TABLE messages (
		id BLOB PRIMARY KEY,
		conv BLOB NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
		seq INTEGER NOT NULL,
		pinned INTEGER NOT NULL DEFAULT 0,
		time INTEGER NOT NULL,
		role TEXT NOT NULL,
		content TEXT NOT NULL DEFAULT '',
		reasoning TEXT NOT NULL DEFAULT '',
		tool_calls TEXT,
		tool_call_id TEXT NOT NULL DEFAULT '',
		name TEXT NOT NULL DEFAULT '',
		UNIQUE (conv, seq)
	);`,
	`CREATE TABLE notes (
		id BLOB PRIMARY KEY,
		scope TEXT NOT NULL,
		title TEXT NOT NULL DEFAULT '',
		text TEXT NOT NULL,
		tags TEXT NOT NULL DEFAULT '[]',
		time INTEGER NOT NULL
	);
	CREATE INDEX notes_scope ON notes (scope, time);
	CREATE TABLE notes_version (
		scope TEXT PRIMARY KEY,
		version INTEGER NOT NULL
	);`,
}

// Open opens (creating it if needed) the store in the SQLite file at path
// and migrates its schema to [SchemaVersion].
func Open(ctx context.Context, path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.Synchronous == "" {
		o.Synchronous = "NORMAL"
	}
	if o.MaxReaders <= 0 {
		o.MaxReaders = 4
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+o.Synchronous+")")
	q.Add("_pragma", "foreign_keys(ON)")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, wrap(path, "open", err)
	}
	db.SetMaxOpenConns(o.MaxReaders + 1)
	db.SetMaxIdleConns(o.MaxReaders + 1)
	db.SetConnMaxIdleTime(0)
	s := &Store{path: path, db: db}
	if err := s.init(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) init(ctx context.Context) error {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return wrap(s.path, "open", err)
	}
	s.wconn = c
	if err := s.migrate(ctx); err != nil {
		return err
	}
	prep := func(dst **sql.Stmt, on interface {
		PrepareContext(context.Context, string) (*sql.Stmt, error)
	}, q string) {
		if err == nil {
			*dst, err = on.PrepareContext(ctx, q)
		}
	}
	prep(&s.stmts.getMsg, c, `SELECT conv, seq, pinned, time, role, content, reasoning, tool_calls, tool_call_id, name FROM messages WHERE id = ?`)
	prep(&s.stmts.ensureConv, c, `INSERT INTO conversations (id, created, updated) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`)
	prep(&s.stmts.lastSeq, c, `SELECT last_seq FROM conversations WHERE id = ?`)
	prep(&s.stmts.insMsg, c, `INSERT INTO messages (id, conv, seq, pinned, time, role, content, reasoning, tool_calls, tool_call_id, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	prep(&s.stmts.updConv, c, `UPDATE conversations SET last_seq = ?, updated = ? WHERE id = ?`)
	prep(&s.rget, s.db, `SELECT id, seq, pinned, time, role, content, reasoning, tool_calls, tool_call_id, name FROM messages WHERE conv = ? AND seq > ? ORDER BY seq`)
	prep(&s.rsum, s.db, `SELECT summary, summary_through, summary_time FROM conversations WHERE id = ?`)
	if err != nil {
		return wrap(s.path, "prepare", err)
	}
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	return s.write(ctx, "migrate", func(c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
			return err
		}
		var v int
		err := c.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := c.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if v > len(migrations) {
			return fmt.Errorf("schema version %d is newer than this program's %d; use a newer plait: %w", v, len(migrations), memory.ErrCorrupt)
		}
		for ; v < len(migrations); v++ {
			if _, err := c.ExecContext(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migrate to schema version %d: %w", v+1, err)
			}
		}
		_, err = c.ExecContext(ctx, `UPDATE schema_version SET version = ?`, v)
		return err
	})
}

// write runs f in an IMMEDIATE transaction on the write connection.
func (s *Store) write(ctx context.Context, op string, f func(c *sql.Conn) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.wconn == nil {
		return wrap(s.path, op, errClosedStore)
	}
	if _, err := s.wconn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return wrap(s.path, op, err)
	}
	if err := f(s.wconn); err != nil {
		// A fresh context: the rollback must run even when ctx is done.
		s.wconn.ExecContext(context.Background(), "ROLLBACK")
		return wrap(s.path, op, err)
	}
	if _, err := s.wconn.ExecContext(ctx, "COMMIT"); err != nil {
		s.wconn.ExecContext(context.Background(), "ROLLBACK")
		return wrap(s.path, op, err)
	}
	return nil
}

var errClosedStore = fmt.Errorf("the store is closed: %w", memory.ErrUnavailable)

// wrap classifies SQLite errors into memory's sentinels and says what to do.
func wrap(path, op string, err error) error {
	if err == nil {
		return nil
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("sqlite %s: %s: another process held the file locked past the busy timeout; retry, or raise Options.BusyTimeout: %w (%v)", path, op, memory.ErrBusy, err)
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return fmt.Errorf("sqlite %s: %s: the file is not a valid SQLite database (damaged, or another kind of file); restore it from a backup or move it aside: %w (%v)", path, op, memory.ErrCorrupt, err)
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM:
			return fmt.Errorf("sqlite %s: %s: cannot open the file for writing; check the path and its permissions: %w (%v)", path, op, memory.ErrUnavailable, err)
		}
	}
	return fmt.Errorf("sqlite %s: %s: %w", path, op, err)
}

// msgRow is a row of the messages table.
type msgRow struct {
	seq, time                              int64
	pinned                                 int
	role, content, reasoning, callID, name string
	calls                                  []byte // NULL for none
}

func (row *msgRow) record(r *memory.Record) error {
	r.Seq = row.seq
	r.Pinned = row.pinned != 0
	r.Time = fromMicros(row.time)
	r.Message = llm.Message{Role: llm.Role(row.role), Content: row.content, Reasoning: row.reasoning, ToolCallID: row.callID, Name: row.name}
	if row.calls != nil {
		if err := json.Unmarshal(row.calls, &r.Message.ToolCalls); err != nil {
			return fmt.Errorf("the tool calls of message %d: %v: %w", row.seq, err, memory.ErrCorrupt)
		}
	}
	return nil
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Append implements memory.Store.
func (s *Store) Append(ctx context.Context, conv uuid.UUID, recs ...memory.Record) ([]memory.Record, error) {
	now := time.Now().UTC()
	out := make([]memory.Record, len(recs))
	calls := make([][]byte, len(recs)) // JSON of tool calls; nil for none
	for i, r := range recs {
		if r.ID == uuid.Nil {
			r.ID = memory.NewID()
		}
		if r.Time.IsZero() {
			r.Time = now
		}
		r.Time = r.Time.Truncate(time.Microsecond).UTC()
		if len(r.Message.ToolCalls) > 0 {
			b, err := json.Marshal(r.Message.ToolCalls)
			if err != nil {
				return nil, fmt.Errorf("sqlite %s: append: encode the tool calls of message %d: %w", s.path, i, err)
			}
			calls[i] = b
		}
		out[i] = r
	}
	err := s.write(ctx, "append", func(c *sql.Conn) error {
		st := &s.stmts
		if len(recs) == 0 {
			return nil
		}
		if _, err := st.ensureConv.ExecContext(ctx, conv[:], micros(now), micros(now)); err != nil {
			return err
		}
		var last int64
		if err := st.lastSeq.QueryRowContext(ctx, conv[:]).Scan(&last); err != nil {
			return err
		}
		batch := make(map[uuid.UUID]int, len(out))
		getMsg := st.getMsg
		insMsg := st.insMsg
		for i := range out {
			r := &out[i]
			if j, ok := batch[r.ID]; ok {
				*r = out[j]
				continue
			}
			var owner []byte
			var row msgRow
			err := getMsg.QueryRowContext(ctx, r.ID[:]).Scan(&owner, &row.seq, &row.pinned, &row.time, &row.role, &row.content, &row.reasoning, &row.calls, &row.callID, &row.name)
			switch {
			case err == nil:
				if uuid.UUID(owner) != conv {
					return fmt.Errorf("message %s belongs to conversation %s: %w", r.ID, uuid.UUID(owner), memory.ErrConflict)
				}
				id := r.ID
				if err := row.record(r); err != nil {
					return err
				}
				r.ID = id
			case errors.Is(err, sql.ErrNoRows):
				last++
				r.Seq = last
				m := &r.Message
				var tc any
				if calls[i] != nil {
					tc = calls[i]
				}
				if _, err := insMsg.ExecContext(ctx, r.ID[:], conv[:], r.Seq, b2i(r.Pinned), micros(r.Time),
					string(m.Role), m.Content, m.Reasoning, tc, m.ToolCallID, m.Name); err != nil {
					return err
				}
			default:
				return err
			}
			batch[r.ID] = i
		}
		_, err := st.updConv.ExecContext(ctx, last, micros(now), conv[:])
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Load implements memory.Store.
func (s *Store) Load(ctx context.Context, conv uuid.UUID, after int64) (*memory.Transcript, error) {
	if err := s.checkOpen("load"); err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, wrap(s.path, "load", err)
	}
	defer tx.Rollback()
	t := &memory.Transcript{ID: conv}
	var sumTime int64
	err = tx.StmtContext(ctx, s.rsum).QueryRowContext(ctx, conv[:]).Scan(&t.Summary.Text, &t.Summary.Through, &sumTime)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite %s: conversation %s: %w", s.path, conv, memory.ErrNotFound)
	}
	if err != nil {
		return nil, wrap(s.path, "load", err)
	}
	if sumTime != 0 {
		t.Summary.Time = fromMicros(sumTime)
	}
	rows, err := tx.StmtContext(ctx, s.rget).QueryContext(ctx, conv[:], after)
	if err != nil {
		return nil, wrap(s.path, "load", err)
	}
	defer rows.Close()
	var id []byte
	var row msgRow
	for rows.Next() {
		if err := rows.Scan(&id, &row.seq, &row.pinned, &row.time, &row.role, &row.content, &row.reasoning, &row.calls, &row.callID, &row.name); err != nil {
			return nil, wrap(s.path, "load", err)
		}
		t.Messages = append(t.Messages, memory.Record{})
		r := &t.Messages[len(t.Messages)-1]
		copy(r.ID[:], id)
		if err := row.record(r); err != nil {
			return nil, fmt.Errorf("sqlite %s: load conversation %s: %w", s.path, conv, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(s.path, "load", err)
	}
	return t, nil
}

// ReplaceSummary implements memory.Store.
func (s *Store) ReplaceSummary(ctx context.Context, conv uuid.UUID, sum memory.Summary) error {
	if sum.Time.IsZero() {
		sum.Time = time.Now().UTC()
	}
	return s.write(ctx, "replace summary", func(c *sql.Conn) error {
		var through int64
		err := c.QueryRowContext(ctx, `SELECT summary_through FROM conversations WHERE id = ?`, conv[:]).Scan(&through)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("conversation %s: %w", conv, memory.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if sum.Through < through {
			return fmt.Errorf("summary through %d, stored through %d: %w", sum.Through, through, memory.ErrStaleSummary)
		}
		_, err = c.ExecContext(ctx, `UPDATE conversations SET summary = ?, summary_through = ?, summary_time = ? WHERE id = ?`,
			sum.Text, sum.Through, micros(sum.Time), conv[:])
		return err
	})
}

// SetPinned implements memory.Store.
func (s *Store) SetPinned(ctx context.Context, conv, msg uuid.UUID, pinned bool) error {
	return s.write(ctx, "set pinned", func(c *sql.Conn) error {
		res, err := c.ExecContext(ctx, `UPDATE messages SET pinned = ? WHERE id = ? AND conv = ?`, b2i(pinned), msg[:], conv[:])
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("message %s in conversation %s: %w", msg, conv, memory.ErrNotFound)
		}
		return nil
	})
}

// List implements memory.Store.
func (s *Store) List(ctx context.Context, limit int) ([]memory.Conversation, error) {
	if err := s.checkOpen("list"); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, created, updated, last_seq FROM conversations ORDER BY updated DESC, id LIMIT ?`, limit)
	if err != nil {
		return nil, wrap(s.path, "list", err)
	}
	defer rows.Close()
	var out []memory.Conversation
	for rows.Next() {
		var id []byte
		var created, updated int64
		var c memory.Conversation
		if err := rows.Scan(&id, &created, &updated, &c.Messages); err != nil {
			return nil, wrap(s.path, "list", err)
		}
		copy(c.ID[:], id)
		c.Created, c.Updated = fromMicros(created), fromMicros(updated)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(s.path, "list", err)
	}
	return out, nil
}

// Delete implements memory.Store.
func (s *Store) Delete(ctx context.Context, conv uuid.UUID) error {
	return s.write(ctx, "delete", func(c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, `DELETE FROM messages WHERE conv = ?`, conv[:]); err != nil {
			return err
		}
		res, err := c.ExecContext(ctx, `DELETE FROM conversations WHERE id = ?`, conv[:])
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("conversation %s: %w", conv, memory.ErrNotFound)
		}
		return nil
	})
}

// Close closes the store. Operations after Close fail with
// memory.ErrUnavailable.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.wmu.Lock()
		// Statements first: a connection with unfinalized statements
		// does not close, and the WAL is only folded back into the file
		// when the last connection closes.
		for _, st := range []*sql.Stmt{s.stmts.getMsg, s.stmts.ensureConv, s.stmts.lastSeq, s.stmts.insMsg, s.stmts.updConv, s.rget, s.rsum} {
			if st != nil {
				st.Close()
			}
		}
		if s.wconn != nil {
			s.wconn.Close()
			s.wconn = nil
		}
		s.wmu.Unlock()
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// SaveNote implements memory.NoteStore.
func (s *Store) SaveNote(ctx context.Context, n memory.Note) (memory.Note, error) {
	if n.ID == uuid.Nil {
		n.ID = memory.NewID()
	}
	if n.Time.IsZero() {
		n.Time = time.Now().UTC()
	}
	n.Time = n.Time.Truncate(time.Microsecond).UTC()
	tags, err := json.Marshal(n.Tags)
	if err != nil {
		return memory.Note{}, err
	}
	err = s.write(ctx, "save note", func(c *sql.Conn) error {
		var old string
		err := c.QueryRowContext(ctx, `SELECT scope FROM notes WHERE id = ?`, n.ID[:]).Scan(&old)
		if err == nil && old != n.Scope {
			if err := bumpNotes(ctx, c, old); err != nil {
				return err
			}
		} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO notes (id, scope, title, text, tags, time) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET scope = excluded.scope, title = excluded.title, text = excluded.text, tags = excluded.tags, time = excluded.time`,
			n.ID[:], n.Scope, n.Title, n.Text, string(tags), micros(n.Time)); err != nil {
			return err
		}
		return bumpNotes(ctx, c, n.Scope)
	})
	if err != nil {
		return memory.Note{}, err
	}
	return n, nil
}

func bumpNotes(ctx context.Context, c *sql.Conn, scope string) error {
	_, err := c.ExecContext(ctx, `INSERT INTO notes_version (scope, version) VALUES (?, 1)
		ON CONFLICT (scope) DO UPDATE SET version = version + 1`, scope)
	return err
}

// DeleteNote implements memory.NoteStore.
func (s *Store) DeleteNote(ctx context.Context, id uuid.UUID) error {
	return s.write(ctx, "delete note", func(c *sql.Conn) error {
		var scope string
		err := c.QueryRowContext(ctx, `SELECT scope FROM notes WHERE id = ?`, id[:]).Scan(&scope)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("note %s: %w", id, memory.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `DELETE FROM notes WHERE id = ?`, id[:]); err != nil {
			return err
		}
		return bumpNotes(ctx, c, scope)
	})
}

// Notes implements memory.NoteStore.
func (s *Store) Notes(ctx context.Context, scope string) ([]memory.Note, error) {
	if err := s.checkOpen("notes"); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, title, text, tags, time FROM notes WHERE scope = ? ORDER BY time, id`, scope)
	if err != nil {
		return nil, wrap(s.path, "notes", err)
	}
	defer rows.Close()
	var out []memory.Note
	for rows.Next() {
		var id []byte
		var tags string
		var tm int64
		n := memory.Note{Scope: scope}
		if err := rows.Scan(&id, &n.Title, &n.Text, &tags, &tm); err != nil {
			return nil, wrap(s.path, "notes", err)
		}
		copy(n.ID[:], id)
		n.Time = fromMicros(tm)
		if err := json.Unmarshal([]byte(tags), &n.Tags); err != nil {
			return nil, fmt.Errorf("sqlite %s: note %s tags: %v: %w", s.path, n.ID, err, memory.ErrCorrupt)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(s.path, "notes", err)
	}
	return out, nil
}

// NotesVersion implements memory.NoteStore.
func (s *Store) NotesVersion(ctx context.Context, scope string) (int64, error) {
	if err := s.checkOpen("notes version"); err != nil {
		return 0, err
	}
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT version FROM notes_version WHERE scope = ?`, scope).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, wrap(s.path, "notes version", err)
	}
	return v, nil
}

var (
	_ memory.Store     = (*Store)(nil)
	_ memory.NoteStore = (*Store)(nil)
)
