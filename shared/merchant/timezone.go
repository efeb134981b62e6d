package merchant

import (
	"errors"
	"fmt"
	"sync"
	"time"

	// The zone database is embedded: a Lambda on provided.al2023 need not
	// ship one for a merchant's zone to load.
	_ "time/tzdata"
)

// DefaultTimeZone is the time zone of a merchant whose record names none:
// the product's merchants are French first; platform staff set another zone
// on the merchant record (Merchant.TimeZone).
const DefaultTimeZone = "Europe/Paris"

// ErrInvalidTimeZone is wrapped by ValidTimeZone's errors.
var ErrInvalidTimeZone = errors.New("invalid time zone")

var (
	zonesMu sync.Mutex
	zones   = map[string]*time.Location{}
)

// loadZone loads an IANA zone once per process.
func loadZone(name string) (*time.Location, error) {
	zonesMu.Lock()
	defer zonesMu.Unlock()
	if loc, ok := zones[name]; ok {
		return loc, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones[name] = loc
	return loc, nil
}

// ValidTimeZone checks a merchant's time zone: empty (DefaultTimeZone) or
// an IANA name the zone database knows ("Europe/Paris", "America/Martinique",
// "UTC"). "Local", the machine's zone, is refused: it is no merchant's.
func ValidTimeZone(name string) error {
	if name == "" {
		return nil
	}
	if name == "Local" || len(name) > 64 {
		return fmt.Errorf("%w: %q is not an IANA time zone name", ErrInvalidTimeZone, name)
	}
	if _, err := loadZone(name); err != nil {
		return fmt.Errorf("%w: %q is not an IANA time zone name", ErrInvalidTimeZone, name)
	}
	return nil
}

// Location is the merchant's time zone: the one its record names, else
// (empty, or a name that does not pass ValidTimeZone) DefaultTimeZone.
// The calendar day of a sale, which picks its VAT rate and its prices, is
// the day in this zone.
func (m Merchant) Location() *time.Location {
	if ValidTimeZone(m.TimeZone) == nil && m.TimeZone != "" {
		if loc, err := loadZone(m.TimeZone); err == nil {
			return loc
		}
	}
	loc, err := loadZone(DefaultTimeZone)
	if err != nil { // the zone database is embedded: cannot happen
		panic(err)
	}
	return loc
}

// Today is the merchant's calendar day at instant now (the day in its
// time zone), as midnight UTC: the form a day given as YYYY-MM-DD takes.
// At 23:30 UTC on 31 December it is already 1 January for a merchant in
// Paris.
func (m Merchant) Today(now time.Time) time.Time {
	y, mo, d := now.In(m.Location()).Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
}
