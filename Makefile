GO ?= go

.PHONY: run test fuzz bench lint build

run: ## run the service with the built-in example configuration
	$(GO) run ./cmd/switchboard

test: ## the test suite, against a real redis-server the tests start themselves
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) test -race -count=1 ./...

fuzz: ## run each fuzz target briefly
	$(GO) test ./api -run '^$$' -fuzz '^FuzzCreateTask$$' -fuzztime 10s
	$(GO) test ./api -run '^$$' -fuzz '^FuzzPutAgent$$' -fuzztime 10s

bench: ## routing benchmarks against a real redis-server
	$(GO) test ./queues -run '^$$' -bench . -benchtime 2000x

build:
	CGO_ENABLED=0 $(GO) build -o bin/switchboard ./cmd/switchboard
