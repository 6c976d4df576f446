GO ?= go

.PHONY: run test test-cluster test-embedded chaos fuzz bench lint build

run: ## run the service with the built-in example configuration
	$(GO) run ./cmd/switchboard

test: ## the test suite, against a real redis-server the tests start themselves
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) test -race -count=1 ./...

# The packages that talk to Redis, again against a Redis Cluster of three
# masters the tests start from redis-server (REDISTEST_CLUSTER=1).
CLUSTER_PACKAGES = ./queues ./router ./streams ./delivery ./outbox ./metrics ./api

test-cluster: ## the Redis tests against a real 3-master Redis Cluster
	REDISTEST_CLUSTER=1 $(GO) test -count=1 $(CLUSTER_PACKAGES)

# The packages that talk to Redis, again against the embedded Redis the
# service runs on without REDIS_URL (REDISTEST_EMBEDDED=1).
EMBEDDED_PACKAGES = ./internal/embedded ./queues ./router ./streams ./delivery ./outbox ./metrics ./sim

test-embedded: ## the Redis tests against the embedded Redis (miniredis with Functions)
	REDISTEST_EMBEDDED=1 $(GO) test -count=1 $(EMBEDDED_PACKAGES)

chaos: ## two replicas, 2,000+ contacts, a replica SIGKILLed and Redis (AOF) restarted; then an audit (about 2 min)
	SWITCHBOARD_CHAOS=1 $(GO) test -count=1 -run '^TestChaos$$' -v ./cmd/switchboard

FUZZ_TARGETS = FuzzCreateTask FuzzPutAgent FuzzTwilioVoice FuzzTwilioMessaging FuzzGenericWebhook FuzzStreamPosition
# A count, not a duration: Go 1.26's fuzz coordinator can fail a duration run
# with "context deadline exceeded" when the time runs out mid-input
# (golang/go#75804), and a count also asks the same work of a slow machine.
FUZZTIME ?= 5000x

fuzz: ## run each fuzz target of the network-facing parsers briefly
	for f in $(FUZZ_TARGETS); do $(GO) test ./api -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) || exit 1; done

bench: ## routing benchmarks against a real redis-server
	$(GO) test ./queues -run '^$$' -bench . -benchtime 2000x

build:
	CGO_ENABLED=0 $(GO) build -o bin/switchboard ./cmd/switchboard
