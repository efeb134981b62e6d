# Comptoir — everyday commands.
#
#   make dev     run everything locally (DynamoDB Local, fauxqs, local API on :3000)
#   make test    gofmt, go vet and every test (-race) against a private local stack
#   make build   stripped linux/arm64 bootstrap of every function in .build/<f>/bootstrap
#   make bench   run the benchmarks on a private local stack; report in bench/out/
#   make fmt / vet / clean
#
# SAM: with `BuildMethod: makefile` and this directory as CodeUri, `sam build`
# runs `make build-<LogicalId>` with ARTIFACTS_DIR set; each of those targets
# builds the function's bootstrap and copies it there.

SHELL := /bin/bash
GO ?= go

FUNCTIONS := $(notdir $(patsubst %/,%,$(dir $(wildcard functions/*/main.go))))
BOOTSTRAPS := $(addprefix .build/,$(addsuffix /bootstrap,$(FUNCTIONS)))

GOBUILD_LAMBDA = GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags="-s -w"

.PHONY: all dev test build bench fmt vet clean $(BOOTSTRAPS)

all: build

dev:
	bash scripts/dev.sh

test:
	bash scripts/test.sh

build: $(BOOTSTRAPS)
	@ls -l $(BOOTSTRAPS)

# Always rebuilt (phony): go's build cache makes an unchanged rebuild cheap and
# a stale binary is never deployed.
$(BOOTSTRAPS): .build/%/bootstrap:
	$(GOBUILD_LAMBDA) -o $@ ./functions/$*

bench:
	bash scripts/bench.sh

fmt:
	gofmt -w $$(find . -name '*.go' -not -path './node_modules/*' -not -path './.build/*' -not -path './.local/*')

vet:
	$(GO) vet ./...

clean:
	rm -rf .build .local/bin .local/dev-stack

# --- SAM BuildMethod: makefile targets --------------------------------------

# sam-function <LogicalId> <folder under functions/>
define sam-function
.PHONY: build-$(1)
build-$(1): .build/$(2)/bootstrap
	@test -n "$$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set (sam build sets it)" >&2; exit 1; }
	mkdir -p "$$(ARTIFACTS_DIR)"
	cp .build/$(2)/bootstrap "$$(ARTIFACTS_DIR)/bootstrap"
endef

$(eval $(call sam-function,CatalogFunction,catalog))
$(eval $(call sam-function,PricingFunction,pricing))
$(eval $(call sam-function,CartFunction,cart))
$(eval $(call sam-function,CheckoutFunction,checkout))
$(eval $(call sam-function,OrdersFunction,orders))
$(eval $(call sam-function,RepsFunction,reps))
$(eval $(call sam-function,AdminFunction,admin))
$(eval $(call sam-function,ErpIngestFunction,erp-ingest))
$(eval $(call sam-function,ErpSyncFunction,erp-sync))
$(eval $(call sam-function,StockUpdateFunction,stock-update))
$(eval $(call sam-function,VatThresholdFunction,vat-threshold))
$(eval $(call sam-function,OrderExportFunction,order-export))
$(eval $(call sam-function,OrderEventsFunction,order-events))
