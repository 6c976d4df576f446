-- The archive of finished contacts, one row per contact, written once by
-- the archive consumer of the events stream (idempotent on replay: every
-- table has the key an event or a contact gives it).
CREATE TABLE contacts (
    workspace         text        NOT NULL,
    id                text        NOT NULL,
    state             text        NOT NULL,  -- completed or canceled
    kind              text        NOT NULL,
    channel           text        NOT NULL,
    queue             text        NOT NULL,
    agent             text        NOT NULL DEFAULT '',
    customer_id       text        NOT NULL DEFAULT '',
    priority          integer     NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL,
    assigned_at       timestamptz,
    first_response_at timestamptz,
    ended_at          timestamptz NOT NULL,
    wait_ms           bigint,                -- created to assigned (answered) or to the end (abandoned)
    handle_ms         bigint,                -- assigned to the end of wrap-up
    disposition       text        NOT NULL DEFAULT '',
    reason            text        NOT NULL DEFAULT '',
    offers            integer     NOT NULL DEFAULT 0,
    messages_in       integer     NOT NULL DEFAULT 0,
    messages_out      integer     NOT NULL DEFAULT 0,
    escalations       integer     NOT NULL DEFAULT 0,
    record            jsonb       NOT NULL,  -- the task as GET /v1/tasks/{id} gave it
    archived_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace, id)
);
CREATE INDEX contacts_customer ON contacts (workspace, customer_id, created_at);
CREATE INDEX contacts_ended ON contacts (workspace, ended_at);

CREATE TABLE messages (
    workspace text    NOT NULL,
    task_id   text    NOT NULL,
    seq       integer NOT NULL,
    body      jsonb   NOT NULL,
    PRIMARY KEY (workspace, task_id, seq)
);

CREATE TABLE customers (
    workspace  text        NOT NULL,
    id         text        NOT NULL,
    name       text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    identities text[]      NOT NULL DEFAULT '{}',
    last_agent text        NOT NULL DEFAULT '',
    PRIMARY KEY (workspace, id)
);

-- identities link a phone number, address or handle to its customer, so a
-- customer who returns after Redis let them go keeps their id and history.
CREATE TABLE identities (
    workspace   text NOT NULL,
    identity    text NOT NULL,
    customer_id text NOT NULL,
    PRIMARY KEY (workspace, identity)
);

CREATE TABLE transfers (
    workspace  text        NOT NULL,
    event_id   text        NOT NULL,
    task_id    text        NOT NULL,
    at         timestamptz NOT NULL,
    from_queue text        NOT NULL,
    to_queue   text        NOT NULL,
    from_agent text        NOT NULL DEFAULT '',
    to_agent   text        NOT NULL DEFAULT '',
    PRIMARY KEY (workspace, event_id)
);
CREATE INDEX transfers_task ON transfers (workspace, task_id);
