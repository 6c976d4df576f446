-- Survey answers (CSAT, NPS), one per surveyed contact; the contact itself
-- may have been archived before the answer came.
CREATE TABLE survey_answers (
    workspace   text        NOT NULL,
    task_id     text        NOT NULL,
    kind        text        NOT NULL,  -- csat (1-5) or nps (0-10)
    score       integer     NOT NULL,
    answered_at timestamptz NOT NULL,
    queue       text        NOT NULL,
    channel     text        NOT NULL,
    agent       text        NOT NULL DEFAULT '',
    customer_id text        NOT NULL DEFAULT '',
    PRIMARY KEY (workspace, task_id)
);
CREATE INDEX survey_answers_at ON survey_answers (workspace, answered_at);
