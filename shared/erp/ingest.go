// Package erp is the ERP connector: files the ERP (typically Sage 100) drops
// into the ERP bucket become import jobs, and placed orders flow back as files.
//
// The connector knows nothing of SQS or of S3's notification format: the
// queue adapter decodes each notification into an ObjectCreated, and Ingest
// decides whether it becomes an import job, a failed import job or nothing.
package erp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/comptoir/comptoir/shared/merchant"
)

// Bounds of what an object-created event may carry. S3 itself refuses keys
// over MaxKeyBytes; the other bounds keep every stored key and document small.
const (
	// MaxKeyBytes is the longest object key S3 accepts.
	MaxKeyBytes = 1024
	// MaxMerchantBytes is the longest merchant id a key may name.
	MaxMerchantBytes = 64
	// MaxFileBytes is the longest file name (the part after "inbox/").
	MaxFileBytes = 512
	// MaxETagBytes is the longest ETag (an MD5 in hex, or one followed by
	// "-<parts>" for a multipart upload).
	MaxETagBytes = 64
	// MaxSequencerBytes is the longest sequencer.
	MaxSequencerBytes = 64
	// MaxVersionIDBytes is the longest version id S3 gives.
	MaxVersionIDBytes = 1024
)

// Status of an import job.
const (
	// StatusReceived: the file is in the bucket as notified and waits to be
	// applied.
	StatusReceived = "received"
	// StatusFailed: the notification was refused, or the file could not be
	// read (unknown file name, bad header); Reason and Detail say why.
	StatusFailed = "failed"
	// StatusStreamed: every chunk of the file's valid rows is on the
	// erp-sync queue, and the rejected rows are in the report.
	StatusStreamed = "streamed"
	// StatusApplied: every chunk is applied (ChunksDone == Chunks).
	StatusApplied = "applied"
)

// Reason says why an object-created event was refused.
type Reason string

// Reasons an object-created event is refused. Only the first two cannot be
// attributed to a merchant: they are logged and acknowledged, never stored.
// The others are recorded as failed import jobs under the merchant.
const (
	// ReasonForeignBucket: the event names another bucket than the ERP
	// bucket.
	ReasonForeignBucket Reason = "foreign-bucket"
	// ReasonUnknownMerchant: the key does not start with the id of a
	// merchant of the deployment.
	ReasonUnknownMerchant Reason = "unknown-merchant"
	// ReasonBadKey: the key is not "<merchant>/inbox/<file>" within bounds.
	ReasonBadKey Reason = "bad-key"
	// ReasonBadEvent: the ETag, size, sequencer or version id is malformed.
	ReasonBadEvent Reason = "bad-event"
	// ReasonObjectMissing: the bucket holds no such object (it was
	// deleted, or never existed).
	ReasonObjectMissing Reason = "object-missing"
	// ReasonObjectReplaced: the object's current version has another ETag
	// or size than the event's; the newer version has its own event.
	ReasonObjectReplaced Reason = "object-replaced"
	// ReasonUnknownFile: the file name names no kind of file (see
	// docs/erp-files.md).
	ReasonUnknownFile Reason = "unknown-file"
	// ReasonBadHeader: the file's header lacks a required column, or the
	// file has no header.
	ReasonBadHeader Reason = "bad-header"
)

// ObjectCreated is one object-created notification of a bucket, decoded by
// the queue adapter. Key is the object key as stored (not URL-encoded).
type ObjectCreated struct {
	Bucket    string
	Key       string
	Size      int64
	ETag      string
	VersionID string
	// Sequencer orders the events of one key: a later upload has a greater
	// sequencer.
	Sequencer string
}

// ObjectInfo is what the bucket says of the current version of an object.
type ObjectInfo struct {
	Size int64
	ETag string
}

// ErrNoObject is returned by Objects.Head when the bucket holds no current
// version of the key.
var ErrNoObject = errors.New("no such object")

// Objects reads the ERP bucket.
type Objects interface {
	// Head returns the current version's size and ETag (without quotes),
	// or an error wrapping ErrNoObject.
	Head(ctx context.Context, bucket, key string) (ObjectInfo, error)
}

// Merchants says which merchants the deployment hosts.
type Merchants interface {
	// MerchantExists reports whether merchant m exists.
	MerchantExists(ctx context.Context, m merchant.ID) (bool, error)
}

// ImportJob is one ERP file notified in the bucket ("import"): received, or
// failed with the reason its notification was refused.
type ImportJob struct {
	// ID identifies the object version: the same key and ETag always give
	// the same id, so a notification delivered twice makes one job.
	ID       string      `json:"id"`
	Merchant merchant.ID `json:"merchant"`
	Bucket   string      `json:"bucket"`
	// Key is the object key, cut to MaxKeyBytes for a refused over-long one.
	Key       string `json:"key"`
	File      string `json:"file,omitempty"`
	Size      int64  `json:"size"`
	ETag      string `json:"etag"`
	VersionID string `json:"versionId,omitempty"`
	// Sequencer orders the events of one key: a later upload has a greater
	// sequencer, so older data never overwrites newer.
	Sequencer  string    `json:"sequencer"`
	ReceivedAt time.Time `json:"receivedAt"`
	Status     string    `json:"status"`
	// Reason and Detail say why a failed job was refused.
	Reason Reason `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`

	// What streaming the file found (StreamSummary), once streamed.
	Kind    Kind        `json:"kind,omitempty"`
	Profile string      `json:"profile,omitempty"`
	Full    bool        `json:"full,omitempty"`
	Format  *FileFormat `json:"format,omitempty"`
	// Received is the number of rows the file holds (valid and rejected).
	Received int `json:"received"`
	// Rejected counts the rows refused: by the file's validation and when
	// applied (an unknown product...); the report lists each.
	Rejected int `json:"rejected"`
	// Applied and Unchanged count the valid rows applied so far: a file
	// dropped again, or older than what is stored, counts them Unchanged.
	Applied   int `json:"applied"`
	Unchanged int `json:"unchanged"`
	// Chunks is the number of chunks sent to erp-sync, ChunksDone those
	// applied so far.
	Chunks     int `json:"chunks"`
	ChunksDone int `json:"chunksDone"`
	// Report is the object key of the rejected rows' report in the bucket.
	Report     string     `json:"report,omitempty"`
	StreamedAt *time.Time `json:"streamedAt,omitempty"`
	// DeactivateMissing says that the file is full and marks what it
	// lacks as inactive (the merchant's settings for its kind);
	// FileStamp is the file's timestamp, Sweep what the sweep did once
	// it ran (or why it will not).
	DeactivateMissing bool         `json:"deactivateMissing,omitempty"`
	FileStamp         time.Time    `json:"fileStamp,omitzero"`
	Sweep             *SweepResult `json:"sweep,omitempty"`
}

// JobStore records import jobs.
type JobStore interface {
	// Record stores the job unless a job with the same ID was recorded
	// before; created says whether it was new.
	Record(ctx context.Context, job ImportJob) (created bool, err error)
}

// JobID is the id of the import job of one object version: a hash of the
// key and the ETag, bounded whatever their length.
func JobID(key, etag string) string {
	h := sha256.Sum256([]byte(strconv.Itoa(len(key)) + ":" + key + etag))
	return hex.EncodeToString(h[:16])
}

// ErrBadKey is returned for an object key outside "<merchant>/inbox/<file>".
var ErrBadKey = errors.New("object key is not <merchant>/inbox/<file>")

// ParseKey splits an object key of the ERP bucket, as stored (not
// URL-encoded), into its merchant and file name. The key, the merchant id
// and the file name are bounded (MaxKeyBytes, MaxMerchantBytes,
// MaxFileBytes); the key is valid UTF-8 without control characters or
// bidirectional overrides, and the
// file name has no empty, "." or ".." segment.
func ParseKey(key string) (merchant.ID, string, error) {
	if len(key) > MaxKeyBytes {
		return "", "", fmt.Errorf("%w: key is %d bytes, more than %d", ErrBadKey, len(key), MaxKeyBytes)
	}
	if !utf8.ValidString(key) {
		return "", "", fmt.Errorf("%w: key is not UTF-8", ErrBadKey)
	}
	if strings.ContainsFunc(key, isControl) {
		return "", "", fmt.Errorf("%w: key holds a control character", ErrBadKey)
	}
	m, ok := merchantOf(key)
	if !ok {
		return "", "", fmt.Errorf("%w: %q does not start with a merchant id", ErrBadKey, Truncate(key, 80))
	}
	file, ok := strings.CutPrefix(key, string(m)+"/inbox/")
	if !ok {
		return "", "", fmt.Errorf("%w: %q is not in the merchant's inbox/", ErrBadKey, Truncate(key, 80))
	}
	if file == "" {
		return "", "", fmt.Errorf("%w: no file name", ErrBadKey)
	}
	if len(file) > MaxFileBytes {
		return "", "", fmt.Errorf("%w: file name is %d bytes, more than %d", ErrBadKey, len(file), MaxFileBytes)
	}
	for seg := range strings.SplitSeq(file, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", "", fmt.Errorf("%w: file name %q has an empty, . or .. segment", ErrBadKey, Truncate(file, 80))
		}
	}
	return m, file, nil
}

// OutboxFolder is the folder under a merchant's prefix where Comptoir
// writes files for the ERP (placed orders under outbox/orders/); the ERP
// reads it and never drops a file to import there.
const OutboxFolder = "outbox/"

// merchantOf returns the merchant id a key starts with: the part before the
// first "/", when it is 1 to MaxMerchantBytes letters, digits, "-" or "_".
func merchantOf(key string) (merchant.ID, bool) {
	first, _, found := strings.Cut(key, "/")
	if !found || first == "" || len(first) > MaxMerchantBytes {
		return "", false
	}
	for _, r := range first {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "", false
		}
	}
	return merchant.ID(first), true
}

// isControl reports control characters and the bidirectional embeddings,
// overrides and isolates that would make a file name display as another.
func isControl(r rune) bool {
	return r < 0x20 || r >= 0x7f && r < 0xa0 || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// Truncate cuts s to at most n bytes on a character boundary, marking the
// cut with "…", so that what a sender wrote is never stored or logged in
// full.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n-len("…"), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Outcome is what Ingest did with one event.
type Outcome struct {
	// Job is the job recorded (or recorded before, when Created is false);
	// zero when the event was not attributable or ignored.
	Job ImportJob
	// Created says that Job is new; false for a repeated notification.
	Created bool
	// Reason is set when the event was refused: a failed Job under the
	// merchant, or nothing stored for ReasonForeignBucket and
	// ReasonUnknownMerchant.
	Reason Reason
	// Detail explains Reason.
	Detail string
	// Ignored is set for a folder marker (a key ending in "/" with no
	// content), which is not a file, and for a file of a merchant's
	// outbox (OutboxFolder) or of its reports (ReportsFolder): the files
	// Comptoir writes, whose creation the bucket announces too.
	Ignored bool
}

// Ingest turns the object-created events of the ERP bucket into import
// jobs, after checking the bucket, the merchant, the key and the object
// itself.
type Ingest struct {
	// Bucket is the ERP bucket; events of any other bucket are refused.
	Bucket    string
	Jobs      JobStore
	Merchants Merchants
	Objects   Objects
	Now       func() time.Time
}

// Handle checks one event and records its import job: received when the
// object is in the ERP bucket, under an existing merchant's inbox/, with the
// ETag and size the event says; failed with a reason otherwise, when the
// event names an existing merchant. An event of another bucket or of no
// known merchant is refused without being stored (see Outcome.Reason).
//
// Handle returns an error only when the table or the bucket could not be
// read or written: the event is then to be retried. A refused event is not
// an error, so it is never retried.
func (in *Ingest) Handle(ctx context.Context, ev ObjectCreated) (Outcome, error) {
	if ev.Bucket != in.Bucket || in.Bucket == "" {
		return Outcome{Reason: ReasonForeignBucket, Detail: fmt.Sprintf("bucket %q is not the ERP bucket", Truncate(ev.Bucket, 80))}, nil
	}
	if strings.HasSuffix(ev.Key, "/") && ev.Size == 0 && len(ev.Key) <= MaxKeyBytes {
		return Outcome{Ignored: true}, nil
	}
	m, ok := merchantOf(ev.Key)
	if !ok {
		return Outcome{Reason: ReasonUnknownMerchant, Detail: "the key does not start with a merchant id"}, nil
	}
	if strings.HasPrefix(ev.Key, string(m)+"/"+OutboxFolder) || strings.HasPrefix(ev.Key, string(m)+"/"+ReportsFolder) {
		return Outcome{Ignored: true}, nil
	}
	exists, err := in.Merchants.MerchantExists(ctx, m)
	if err != nil {
		return Outcome{}, fmt.Errorf("look up merchant %s: %w", m, err)
	}
	if !exists {
		return Outcome{Reason: ReasonUnknownMerchant, Detail: fmt.Sprintf("no merchant %q", m)}, nil
	}
	now := time.Now
	if in.Now != nil {
		now = in.Now
	}
	job := ImportJob{
		ID: JobID(ev.Key, ev.ETag), Merchant: m, Bucket: ev.Bucket,
		Key: Truncate(ev.Key, MaxKeyBytes), Size: ev.Size, ETag: Truncate(ev.ETag, MaxETagBytes),
		VersionID: Truncate(ev.VersionID, MaxVersionIDBytes), Sequencer: Truncate(ev.Sequencer, MaxSequencerBytes),
		ReceivedAt: now().UTC(), Status: StatusReceived,
	}
	reason, detail, err := in.check(ctx, ev, &job)
	if err != nil {
		return Outcome{}, err
	}
	if reason != "" {
		job.Status, job.Reason, job.Detail = StatusFailed, reason, detail
	}
	created, err := in.Jobs.Record(ctx, job)
	if err != nil {
		return Outcome{}, fmt.Errorf("record import job of %s: %w", Truncate(ev.Key, 80), err)
	}
	return Outcome{Job: job, Created: created, Reason: reason, Detail: detail}, nil
}

// check validates the key and the event's fields, then reads the object;
// it sets job.File and returns the reason the event is refused, if any.
func (in *Ingest) check(ctx context.Context, ev ObjectCreated, job *ImportJob) (Reason, string, error) {
	_, file, err := ParseKey(ev.Key)
	if err != nil {
		return ReasonBadKey, err.Error(), nil
	}
	job.File = file
	if detail := badFields(ev); detail != "" {
		return ReasonBadEvent, detail, nil
	}
	obj, err := in.Objects.Head(ctx, ev.Bucket, ev.Key)
	if errors.Is(err, ErrNoObject) {
		return ReasonObjectMissing, "the bucket holds no such object: it was deleted, or never created", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("read object %s: %w", Truncate(ev.Key, 80), err)
	}
	if obj.ETag != ev.ETag || obj.Size != ev.Size {
		return ReasonObjectReplaced, fmt.Sprintf("the object is now %d bytes with ETag %s, not %d bytes with ETag %s: it was replaced",
			obj.Size, Truncate(obj.ETag, MaxETagBytes), ev.Size, ev.ETag), nil
	}
	return "", "", nil
}

// badFields says what is malformed in the event's ETag, size, sequencer and
// version id, or "" when they are well formed.
func badFields(ev ObjectCreated) string {
	switch {
	case ev.ETag == "" || len(ev.ETag) > MaxETagBytes || strings.ContainsFunc(ev.ETag, notETag):
		return fmt.Sprintf("ETag %q is not up to %d hex digits and dashes", Truncate(ev.ETag, 80), MaxETagBytes)
	case ev.Size < 0:
		return fmt.Sprintf("size %d is negative", ev.Size)
	case len(ev.Sequencer) > MaxSequencerBytes || strings.ContainsFunc(ev.Sequencer, notHex):
		return fmt.Sprintf("sequencer %q is not up to %d hex digits", Truncate(ev.Sequencer, 80), MaxSequencerBytes)
	case len(ev.VersionID) > MaxVersionIDBytes || !utf8.ValidString(ev.VersionID) || strings.ContainsFunc(ev.VersionID, isControl):
		return "version id is over-long or not printable"
	}
	return ""
}

func notHex(r rune) bool {
	return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F')
}

func notETag(r rune) bool { return notHex(r) && r != '-' }
