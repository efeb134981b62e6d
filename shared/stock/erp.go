package stock

import (
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

// Difference is what the ERP's count of a product in a warehouse differs
// from the site's theoretical stock ("écart de stock réel / théorique"):
// the theoretical stock is the last level the ERP sent less the site
// orders it has not acknowledged yet (Level.SiteOrders); the ERP's count is
// its new level on hand (AS_QteSto).
type Difference struct {
	Ref       string `json:"ref"`
	Warehouse string `json:"warehouse"`
	// ERPLevel is the quantity on hand the ERP counted.
	ERPLevel int64 `json:"erpLevel"`
	// Theoretical is the previous ERP level less the site orders since.
	Theoretical int64 `json:"theoretical"`
	// Difference is ERPLevel − Theoretical: negative when the ERP counts
	// less than the site expected (breakage, theft, a sale outside the
	// site), positive when more.
	Difference int64 `json:"difference"`
	// Job is the import job of the ERP file that counted it.
	Job string `json:"job"`
	// At is when the difference was found.
	At time.Time `json:"at"`
}

// DifferencePage is a page of a merchant's stock differences, by product
// then warehouse; Next continues it ("" on the last page).
type DifferencePage struct {
	Differences []Difference
	Next        string
}

// ErrBadCursor is returned for a page cursor the store never gave.
var ErrBadCursor = errors.New("invalid cursor of stock differences")

// Theoretical is the site's theoretical stock of a level: what the ERP last
// counted on hand less what site orders took since.
func Theoretical(previous Level) int64 { return previous.OnHand - previous.SiteOrders }

// DifferenceOf compares the ERP's new count with the previous level
// (OnHand as the ERP last sent it, SiteOrders as the site took since): ok
// is false when they agree, so that only real differences are recorded.
func DifferenceOf(previous, counted Level, job string, at time.Time) (Difference, bool) {
	th := Theoretical(previous)
	d := Difference{
		Ref: counted.Ref, Warehouse: counted.Warehouse,
		ERPLevel: counted.OnHand, Theoretical: th, Difference: counted.OnHand - th,
		Job: job, At: at.UTC(),
	}
	return d, d.Difference != 0
}

// AlertAction is what a new ERP count does to a level's stock alert.
type AlertAction int

const (
	// AlertKept: the alert stands as it is, or there is none to raise.
	AlertKept AlertAction = iota
	// AlertRaise: the level fell to or below its minimum: raise the
	// alert, once for this fall.
	AlertRaise
	// AlertClear: the level is back above its minimum (or lost its
	// thresholds): the alert no longer stands.
	AlertClear
)

// AlertAfterCount tells what the ERP's count does to a level's alert: the
// level was previous with previousAvailable available (nil: the level is
// new), it is now counted with available. An alert is raised when the
// level is at or below its minimum and was not before (a new level below
// its minimum raises one), cleared when it was and no longer is, and kept
// otherwise, so that a level that stays low is not alerted on every
// movement. The alert is the one to raise with AlertRaise.
func AlertAfterCount(previous *Level, previousAvailable int64, counted Level, available int64, at time.Time) (Alert, AlertAction) {
	was := false
	if previous != nil {
		_, was = AlertFor(*previous, previousAvailable, at)
	}
	a, now := AlertFor(counted, available, at)
	switch {
	case now && !was:
		return a, AlertRaise
	case !now && was:
		return Alert{}, AlertClear
	}
	return Alert{}, AlertKept
}

// DifferencesCSVHeader is the header row of WriteDifferencesCSV.
var DifferencesCSVHeader = []string{"ref", "warehouse", "erpLevel", "theoretical", "difference", "job", "at"}

// WriteDifferencesCSV writes differences as a ";"-separated file for a
// spreadsheet: the header, then one row per difference, the instant in
// RFC 3339 UTC. A text cell a spreadsheet would take for a formula gets a
// leading apostrophe.
func WriteDifferencesCSV(w io.Writer, ds []Difference) error {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	if err := cw.Write(DifferencesCSVHeader); err != nil {
		return err
	}
	for _, d := range ds {
		row := []string{textCell(d.Ref), textCell(d.Warehouse), strconv.FormatInt(d.ERPLevel, 10), strconv.FormatInt(d.Theoretical, 10),
			strconv.FormatInt(d.Difference, 10), textCell(d.Job), d.At.UTC().Format(time.RFC3339)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// textCell neutralises a text cell that a spreadsheet would take for a
// formula: it gets a leading apostrophe, which spreadsheets show as text.
func textCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
