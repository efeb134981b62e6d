package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/comptoir/comptoir/shared/dynamo"
	"github.com/comptoir/comptoir/shared/erp"
	"github.com/comptoir/comptoir/shared/testenv"
)

// Eight staff members save one column each at once: every save reads the
// settings, adds its column and writes on the version read, so none is
// lost; an update that fails saves nothing.
func TestERPSettings_ConcurrentSavesLoseNothing(t *testing.T) {
	t.Parallel()
	tbl := testenv.Table(t)
	store := &dynamo.ERPSettings{Table: tbl}
	ctx := context.Background()
	got, err := store.Settings(ctx, "m1")
	if err != nil || got.Version != 0 || len(got.Kinds) != 0 {
		t.Fatalf("before any save: %+v %v", got, err)
	}
	langs := []string{"de", "en", "es", "it", "nl", "pt", "pl", "sv"}
	var wg sync.WaitGroup
	errs := make(chan error, len(langs))
	for _, lang := range langs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := store.UpdateSettings(ctx, "m1", func(s *erp.Settings) error {
				ks := s.Kinds[erp.KindProducts]
				if ks.Mapping == nil {
					ks.Mapping = map[string]string{}
				}
				ks.Mapping["name."+lang] = "Désignation " + lang
				s.Kinds[erp.KindProducts] = ks
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err = store.Settings(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != int64(len(langs)) || len(got.Kinds[erp.KindProducts].Mapping) != len(langs) {
		t.Fatalf("after %d saves: version %d, mapping %v", len(langs), got.Version, got.Kinds[erp.KindProducts].Mapping)
	}
	refused := errors.New("refused")
	if _, err := store.UpdateSettings(ctx, "m1", func(s *erp.Settings) error {
		s.Kinds = nil
		return refused
	}); !errors.Is(err, refused) {
		t.Errorf("update error: %v", err)
	}
	if again, _ := store.Settings(ctx, "m1"); again.Version != got.Version || fmt.Sprint(again.Kinds) != fmt.Sprint(got.Kinds) {
		t.Errorf("a refused update saved %+v", again)
	}
}
