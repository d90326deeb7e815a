// Package redis is the [memory.Store] and [memory.NoteStore] for services
// that run several instances: conversations and notes live in a Redis
// server (github.com/redis/go-redis/v9), shared by every instance.
//
//	st, err := redis.Open(ctx, "redis://localhost:6379/0")
//	if err != nil { ... }
//	defer st.Close()
//	h := memory.NewHistory(st, convID, memory.HistoryOptions{Budget: 8000})
//
// It is a package of its own so that programs that do not use Redis do not
// link its client.
//
// A conversation is a list of messages (position + 1 is the sequence
// number), a hash from message id to sequence number, a set of pinned ids
// and a hash of metadata and summary; all its keys share one hash tag. An
// Append is one Lua script, atomic on the server: it checks every id first
// (an id already in the conversation is not written again, an id of
// another conversation refuses the whole batch), then pushes the new
// messages. So a retry after a lost reply, by go-redis itself or by the
// caller, never writes a message twice, and concurrent appends from any
// number of processes get a total, gap-free order.
//
// When the server cannot be reached, operations fail with an error that
// matches [memory.ErrUnavailable]; the client reconnects by itself, so
// they succeed again once the server is back. How fast an unreachable
// server is reported is the client's choice (go-redis's MaxRetries,
// DialerRetries and DialTimeout options). Durability is the server's:
// configure AOF (appendonly yes) where messages must survive a Redis
// restart. The scripts touch a conversation's keys and two global keys
// (the conversation index and the id owners), so Redis Cluster is not
// supported; use a single primary (with replicas or Sentinel).
package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/memory"
)

// Options configures New.
type Options struct {
	// Prefix starts every key the store uses. Default "plait:memory".
	Prefix string
	// CloseClient makes Close close the client too.
	CloseClient bool
}

// Store is a Redis-backed memory.Store and memory.NoteStore. It is safe
// for concurrent use, from any number of processes.
type Store struct {
	rdb    goredis.UniversalClient
	prefix string
	owns   bool
}

// Open connects to the Redis server at url ("redis://[user:pass@]host:port/db")
// and returns a store that closes the connection on Close. It checks the
// server answers.
func Open(ctx context.Context, url string) (*Store, error) {
	o, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("memory/redis: parse %q: %w", url, err)
	}
	rdb := goredis.NewClient(o)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, wrap("open", err)
	}
	return New(rdb, &Options{CloseClient: true}), nil
}

// New returns a store on an existing client.
func New(rdb goredis.UniversalClient, opts *Options) *Store {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Prefix == "" {
		o.Prefix = "plait:memory"
	}
	return &Store{rdb: rdb, prefix: o.Prefix, owns: o.CloseClient}
}

// Close closes the client when the store owns it.
func (s *Store) Close() error {
	if s.owns {
		return s.rdb.Close()
	}
	return nil
}

// keys of one conversation: messages, ids, pinned, meta; then the global
// conversation index and id owners.
func (s *Store) keys(conv uuid.UUID) []string {
	base := s.prefix + ":c:{" + conv.String() + "}:"
	return []string{base + "m", base + "i", base + "p", base + "h", s.prefix + ":convs", s.prefix + ":owner"}
}

// wrap classifies errors: server replies raised by the scripts map to
// memory's sentinels; anything that is not a server reply (a refused or
// broken connection, a timeout) is ErrUnavailable.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("memory/redis: %s: %w", op, err)
	}
	var re goredis.Error
	if errors.As(err, &re) && !errors.Is(err, goredis.ErrClosed) {
		msg := strings.TrimPrefix(re.Error(), "ERR ")
		switch {
		case strings.Contains(msg, "PLAIT_NOTFOUND"):
			return fmt.Errorf("memory/redis: %s: %w", op, memory.ErrNotFound)
		case strings.Contains(msg, "PLAIT_CONFLICT"):
			return fmt.Errorf("memory/redis: %s: %s: %w", op, after(msg, "PLAIT_CONFLICT"), memory.ErrConflict)
		case strings.Contains(msg, "PLAIT_STALE"):
			return fmt.Errorf("memory/redis: %s: %s: %w", op, after(msg, "PLAIT_STALE"), memory.ErrStaleSummary)
		case strings.HasPrefix(msg, "LOADING"), strings.HasPrefix(msg, "READONLY"), strings.HasPrefix(msg, "MASTERDOWN"), strings.HasPrefix(msg, "TRYAGAIN"):
			return fmt.Errorf("memory/redis: %s: the server cannot serve writes now (%v); retry: %w", op, err, memory.ErrUnavailable)
		}
		return fmt.Errorf("memory/redis: %s: %w", op, err)
	}
	return fmt.Errorf("memory/redis: %s: cannot reach the Redis server (%v); appends are idempotent, retry when it is back: %w", op, err, memory.ErrUnavailable)
}

func after(msg, tag string) string {
	i := strings.Index(msg, tag)
	return strings.TrimSpace(msg[i+len(tag):])
}

// stored is a message as kept in the list.
type stored struct {
	ID      uuid.UUID   `json:"id"`
	Time    int64       `json:"t"` // unix microseconds
	Message llm.Message `json:"m"`
}

var appendScript = goredis.NewScript(`
local conv, now = ARGV[1], ARGV[2]
local n = (#ARGV - 2) / 3
for i = 0, n - 1 do
  local id = ARGV[3 + i * 3]
  local o = redis.call('HGET', KEYS[6], id)
  if o and o ~= conv then
    return redis.error_reply('PLAIT_CONFLICT message ' .. id .. ' belongs to conversation ' .. o)
  end
end
local out = {}
for i = 0, n - 1 do
  local id = ARGV[3 + i * 3]
  local seq = redis.call('HGET', KEYS[2], id)
  if seq then
    out[#out + 1] = tonumber(seq)
  else
    local len = redis.call('RPUSH', KEYS[1], ARGV[5 + i * 3])
    redis.call('HSET', KEYS[2], id, len)
    redis.call('HSET', KEYS[6], id, conv)
    if ARGV[4 + i * 3] == '1' then redis.call('SADD', KEYS[3], id) end
    out[#out + 1] = -len
  end
end
redis.call('HSETNX', KEYS[4], 'created', now)
redis.call('HSET', KEYS[4], 'updated', now)
redis.call('ZADD', KEYS[5], now, conv)
return out
`)

// Append implements memory.Store.
func (s *Store) Append(ctx context.Context, conv uuid.UUID, recs ...memory.Record) ([]memory.Record, error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	out := make([]memory.Record, len(recs))
	args := make([]any, 0, 2+3*len(recs))
	args = append(args, conv.String(), now.UnixMicro())
	for i, r := range recs {
		if r.ID == uuid.Nil {
			r.ID = memory.NewID()
		}
		if r.Time.IsZero() {
			r.Time = now
		}
		r.Time = r.Time.Truncate(time.Microsecond).UTC()
		b, err := json.Marshal(stored{ID: r.ID, Time: r.Time.UnixMicro(), Message: r.Message})
		if err != nil {
			return nil, fmt.Errorf("memory/redis: append: encode message %d: %w", i, err)
		}
		pinned := "0"
		if r.Pinned {
			pinned = "1"
		}
		args = append(args, r.ID.String(), pinned, b)
		out[i] = r
	}
	if len(recs) == 0 {
		return out, nil
	}
	k := s.keys(conv)
	res, err := appendScript.Run(ctx, s.rdb, k, args...).Int64Slice()
	if err != nil {
		return nil, wrap("append", err)
	}
	if len(res) != len(out) {
		return nil, fmt.Errorf("memory/redis: append: the script returned %d results for %d messages", len(res), len(out))
	}
	var existing []int
	for i, v := range res {
		if v < 0 {
			out[i].Seq = -v
		} else {
			out[i].Seq = v
			existing = append(existing, i)
		}
	}
	// Records already stored are returned as they were stored.
	for _, i := range existing {
		raw, err := s.rdb.LIndex(ctx, k[0], out[i].Seq-1).Bytes()
		if err != nil {
			return nil, wrap("append", err)
		}
		pinned, err := s.rdb.SIsMember(ctx, k[2], out[i].ID.String()).Result()
		if err != nil {
			return nil, wrap("append", err)
		}
		if err := decode(raw, out[i].Seq, pinned, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func decode(raw []byte, seq int64, pinned bool, r *memory.Record) error {
	var st stored
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("memory/redis: message %d: %v: %w", seq, err, memory.ErrCorrupt)
	}
	*r = memory.Record{ID: st.ID, Seq: seq, Pinned: pinned, Time: time.UnixMicro(st.Time).UTC(), Message: st.Message}
	return nil
}

// Load implements memory.Store.
func (s *Store) Load(ctx context.Context, conv uuid.UUID, after int64) (*memory.Transcript, error) {
	if after < 0 {
		after = 0
	}
	k := s.keys(conv)
	var meta *goredis.MapStringStringCmd
	var list *goredis.StringSliceCmd
	var pins *goredis.StringSliceCmd
	_, err := s.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		meta = p.HGetAll(ctx, k[3])
		list = p.LRange(ctx, k[0], after, -1)
		pins = p.SMembers(ctx, k[2])
		return nil
	})
	if err != nil {
		return nil, wrap("load", err)
	}
	m := meta.Val()
	if len(m) == 0 {
		return nil, fmt.Errorf("memory/redis: conversation %s: %w", conv, memory.ErrNotFound)
	}
	t := &memory.Transcript{ID: conv}
	t.Summary.Text = m["summary"]
	t.Summary.Through, _ = strconv.ParseInt(m["through"], 10, 64)
	if us, _ := strconv.ParseInt(m["stime"], 10, 64); us != 0 {
		t.Summary.Time = time.UnixMicro(us).UTC()
	}
	pinned := make(map[string]bool, len(pins.Val()))
	for _, id := range pins.Val() {
		pinned[id] = true
	}
	vals := list.Val()
	t.Messages = make([]memory.Record, len(vals))
	for i, v := range vals {
		r := &t.Messages[i]
		if err := decode([]byte(v), after+int64(i)+1, false, r); err != nil {
			return nil, err
		}
		r.Pinned = len(pinned) > 0 && pinned[r.ID.String()]
	}
	return t, nil
}

var summaryScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('PLAIT_NOTFOUND') end
local old = tonumber(redis.call('HGET', KEYS[1], 'through') or '0')
if tonumber(ARGV[2]) < old then
  return redis.error_reply('PLAIT_STALE summary through ' .. ARGV[2] .. ', stored through ' .. old)
end
redis.call('HSET', KEYS[1], 'summary', ARGV[1], 'through', ARGV[2], 'stime', ARGV[3])
return 1
`)

// ReplaceSummary implements memory.Store.
func (s *Store) ReplaceSummary(ctx context.Context, conv uuid.UUID, sum memory.Summary) error {
	if sum.Time.IsZero() {
		sum.Time = time.Now().UTC()
	}
	k := s.keys(conv)
	err := summaryScript.Run(ctx, s.rdb, []string{k[3]}, sum.Text, sum.Through, sum.Time.UnixMicro()).Err()
	return wrap("replace summary", err)
}

var pinScript = goredis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return redis.error_reply('PLAIT_NOTFOUND') end
if ARGV[2] == '1' then redis.call('SADD', KEYS[2], ARGV[1]) else redis.call('SREM', KEYS[2], ARGV[1]) end
return 1
`)

// SetPinned implements memory.Store.
func (s *Store) SetPinned(ctx context.Context, conv, msg uuid.UUID, pinned bool) error {
	k := s.keys(conv)
	p := "0"
	if pinned {
		p = "1"
	}
	return wrap("set pinned", pinScript.Run(ctx, s.rdb, []string{k[1], k[2]}, msg.String(), p).Err())
}

// List implements memory.Store.
func (s *Store) List(ctx context.Context, limit int) ([]memory.Conversation, error) {
	stop := int64(-1)
	if limit > 0 {
		stop = int64(limit) - 1
	}
	ids, err := s.rdb.ZRevRange(ctx, s.prefix+":convs", 0, stop).Result()
	if err != nil {
		return nil, wrap("list", err)
	}
	metas := make([]*goredis.SliceCmd, len(ids))
	lens := make([]*goredis.IntCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, id := range ids {
			u, _ := uuid.Parse(id)
			k := s.keys(u)
			metas[i] = p.HMGet(ctx, k[3], "created", "updated")
			lens[i] = p.LLen(ctx, k[0])
		}
		return nil
	})
	if err != nil {
		return nil, wrap("list", err)
	}
	out := make([]memory.Conversation, 0, len(ids))
	for i, id := range ids {
		u, err := uuid.Parse(id)
		if err != nil {
			continue
		}
		v := metas[i].Val()
		if len(v) != 2 || v[0] == nil {
			continue // deleted meanwhile
		}
		c := memory.Conversation{ID: u, Messages: lens[i].Val()}
		if s, ok := v[0].(string); ok {
			us, _ := strconv.ParseInt(s, 10, 64)
			c.Created = time.UnixMicro(us).UTC()
		}
		if s, ok := v[1].(string); ok {
			us, _ := strconv.ParseInt(s, 10, 64)
			c.Updated = time.UnixMicro(us).UTC()
		}
		out = append(out, c)
	}
	return out, nil
}

var deleteScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[4]) == 0 then return redis.error_reply('PLAIT_NOTFOUND') end
local ids = redis.call('HKEYS', KEYS[2])
for i = 1, #ids, 1000 do
  redis.call('HDEL', KEYS[6], unpack(ids, i, math.min(i + 999, #ids)))
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('ZREM', KEYS[5], ARGV[1])
return 1
`)

// Delete implements memory.Store.
func (s *Store) Delete(ctx context.Context, conv uuid.UUID) error {
	return wrap("delete", deleteScript.Run(ctx, s.rdb, s.keys(conv), conv.String()).Err())
}

func (s *Store) noteKeys(scope string) (notes, versions string) {
	return s.prefix + ":notes:" + scope, s.prefix + ":notesver"
}

var saveNoteScript = goredis.NewScript(`
local old = redis.call('HGET', KEYS[3], ARGV[1])
if old and old ~= ARGV[2] then
  redis.call('HDEL', ARGV[4] .. old, ARGV[1])
  redis.call('HINCRBY', KEYS[2], old, 1)
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
return 1
`)

// SaveNote implements memory.NoteStore.
func (s *Store) SaveNote(ctx context.Context, n memory.Note) (memory.Note, error) {
	if n.ID == uuid.Nil {
		n.ID = memory.NewID()
	}
	if n.Time.IsZero() {
		n.Time = time.Now().UTC()
	}
	n.Time = n.Time.Truncate(time.Microsecond).UTC()
	b, err := json.Marshal(n)
	if err != nil {
		return memory.Note{}, err
	}
	notes, ver := s.noteKeys(n.Scope)
	err = saveNoteScript.Run(ctx, s.rdb, []string{notes, ver, s.prefix + ":noteowner"}, n.ID.String(), n.Scope, b, s.prefix+":notes:").Err()
	if err != nil {
		return memory.Note{}, wrap("save note", err)
	}
	return n, nil
}

var deleteNoteScript = goredis.NewScript(`
local scope = redis.call('HGET', KEYS[1], ARGV[1])
if not scope then return redis.error_reply('PLAIT_NOTFOUND') end
redis.call('HDEL', ARGV[2] .. scope, ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[2], scope, 1)
return 1
`)

// DeleteNote implements memory.NoteStore.
func (s *Store) DeleteNote(ctx context.Context, id uuid.UUID) error {
	_, ver := s.noteKeys("")
	return wrap("delete note", deleteNoteScript.Run(ctx, s.rdb, []string{s.prefix + ":noteowner", ver}, id.String(), s.prefix+":notes:").Err())
}

// Notes implements memory.NoteStore.
func (s *Store) Notes(ctx context.Context, scope string) ([]memory.Note, error) {
	notes, _ := s.noteKeys(scope)
	vals, err := s.rdb.HVals(ctx, notes).Result()
	if err != nil {
		return nil, wrap("notes", err)
	}
	out := make([]memory.Note, 0, len(vals))
	for _, v := range vals {
		var n memory.Note
		if err := json.Unmarshal([]byte(v), &n); err != nil {
			return nil, fmt.Errorf("memory/redis: note: %v: %w", err, memory.ErrCorrupt)
		}
		out = append(out, n)
	}
	sortNotes(out)
	return out, nil
}

func sortNotes(ns []memory.Note) {
	slices.SortFunc(ns, func(a, b memory.Note) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
}

// NotesVersion implements memory.NoteStore.
func (s *Store) NotesVersion(ctx context.Context, scope string) (int64, error) {
	_, ver := s.noteKeys(scope)
	v, err := s.rdb.HGet(ctx, ver, scope).Int64()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, wrap("notes version", err)
	}
	return v, nil
}

var (
	_ memory.Store     = (*Store)(nil)
	_ memory.NoteStore = (*Store)(nil)
)
