-- Routing data read by every PBX node. Plain SQL accepted by MySQL 8.0.16+ and MariaDB 10.6+.
-- Destinations are typed references (dest_type, dest_ref) resolved and validated when the agent loads a snapshot:
--   EXTENSION ref=extension number      VOICEMAIL ref=extension number (its voicemail box)
--   RING_GROUP ref=ring group number    QUEUE ref=call_queue name
--   PLAYBACK ref=sound file, then hang up   HANGUP ref=cause code (1..127)
--   ROUTE ref=inbound_route name        TIME_CONDITION ref=time_condition name

CREATE TABLE routing_version (
    id      TINYINT NOT NULL PRIMARY KEY,
    version BIGINT  NOT NULL,
    CONSTRAINT routing_version_single_row CHECK (id = 1)
) ENGINE=InnoDB;

INSERT INTO routing_version (id, version) VALUES (1, 1);

CREATE TABLE tenant (
    id        BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name      VARCHAR(64) NOT NULL,
    time_zone VARCHAR(64) NOT NULL DEFAULT 'UTC',
    CONSTRAINT tenant_name_uq UNIQUE (name)
) ENGINE=InnoDB;

CREATE TABLE extension (
    id                 BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id          BIGINT       NOT NULL,
    number             VARCHAR(32)  NOT NULL,
    endpoint           VARCHAR(128) NOT NULL,
    display_name       VARCHAR(128) NULL,
    voicemail_box      VARCHAR(64)  NULL,
    dnd                TINYINT(1)   NOT NULL DEFAULT 0,
    forward_always     VARCHAR(32)  NULL,
    forward_busy       VARCHAR(32)  NULL,
    forward_no_answer  VARCHAR(32)  NULL,
    ring_time          INT          NOT NULL DEFAULT 20,
    call_limit         INT          NOT NULL DEFAULT 0,
    outbound_caller_id VARCHAR(32)  NULL,
    CONSTRAINT extension_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenant (id) ON DELETE CASCADE,
    CONSTRAINT extension_number_uq UNIQUE (tenant_id, number),
    CONSTRAINT extension_ring_time_ck CHECK (ring_time BETWEEN 1 AND 600),
    CONSTRAINT extension_call_limit_ck CHECK (call_limit >= 0)
) ENGINE=InnoDB;

CREATE TABLE time_condition (
    id            BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id     BIGINT      NOT NULL,
    name          VARCHAR(64) NOT NULL,
    time_zone     VARCHAR(64) NULL,
    match_type    VARCHAR(16) NOT NULL,
    match_ref     VARCHAR(64) NOT NULL,
    else_type     VARCHAR(16) NOT NULL,
    else_ref      VARCHAR(64) NOT NULL,
    CONSTRAINT time_condition_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenant (id) ON DELETE CASCADE,
    CONSTRAINT time_condition_name_uq UNIQUE (tenant_id, name)
) ENGINE=InnoDB;

-- Weekly ranges: day_of_week 1 = Monday .. 7 = Sunday (ISO 8601), [start_time, end_time) in the condition's zone.
CREATE TABLE time_range (
    id                BIGINT  NOT NULL AUTO_INCREMENT PRIMARY KEY,
    time_condition_id BIGINT  NOT NULL,
    day_of_week       TINYINT NOT NULL,
    start_time        TIME    NOT NULL,
    end_time          TIME    NOT NULL,
    CONSTRAINT time_range_condition_fk FOREIGN KEY (time_condition_id) REFERENCES time_condition (id) ON DELETE CASCADE,
    CONSTRAINT time_range_day_ck CHECK (day_of_week BETWEEN 1 AND 7),
    CONSTRAINT time_range_order_ck CHECK (start_time < end_time)
) ENGINE=InnoDB;

-- Dated exceptions: a holiday (is_open = 0: the whole day does not match) or a special opening (is_open = 1).
CREATE TABLE time_exception (
    id                BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    time_condition_id BIGINT       NOT NULL,
    on_date           DATE         NOT NULL,
    is_open           TINYINT(1)   NOT NULL DEFAULT 0,
    name              VARCHAR(128) NULL,
    CONSTRAINT time_exception_condition_fk FOREIGN KEY (time_condition_id) REFERENCES time_condition (id) ON DELETE CASCADE,
    CONSTRAINT time_exception_date_uq UNIQUE (time_condition_id, on_date)
) ENGINE=InnoDB;

CREATE TABLE ring_group (
    id             BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id      BIGINT       NOT NULL,
    number         VARCHAR(32)  NOT NULL,
    name           VARCHAR(128) NULL,
    strategy       VARCHAR(16)  NOT NULL DEFAULT 'RINGALL',
    ring_time      INT          NOT NULL DEFAULT 20,
    no_answer_type VARCHAR(16)  NOT NULL,
    no_answer_ref  VARCHAR(64)  NOT NULL,
    CONSTRAINT ring_group_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenant (id) ON DELETE CASCADE,
    CONSTRAINT ring_group_number_uq UNIQUE (tenant_id, number),
    CONSTRAINT ring_group_strategy_ck CHECK (strategy IN ('RINGALL', 'HUNT')),
    CONSTRAINT ring_group_ring_time_ck CHECK (ring_time BETWEEN 1 AND 600)
) ENGINE=InnoDB;

CREATE TABLE ring_group_member (
    ring_group_id BIGINT NOT NULL,
    position      INT    NOT NULL,
    extension_id  BIGINT NOT NULL,
    PRIMARY KEY (ring_group_id, position),
    CONSTRAINT ring_group_member_group_fk FOREIGN KEY (ring_group_id) REFERENCES ring_group (id) ON DELETE CASCADE,
    CONSTRAINT ring_group_member_ext_fk FOREIGN KEY (extension_id) REFERENCES extension (id) ON DELETE CASCADE,
    CONSTRAINT ring_group_member_uq UNIQUE (ring_group_id, extension_id)
) ENGINE=InnoDB;

-- A queue defined in Asterisk (queues.conf / realtime); the agent only routes calls into it.
CREATE TABLE call_queue (
    id             BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id      BIGINT       NOT NULL,
    name           VARCHAR(64)  NOT NULL,
    asterisk_queue VARCHAR(128) NOT NULL,
    max_wait       INT          NOT NULL DEFAULT 300,
    fail_type      VARCHAR(16)  NOT NULL,
    fail_ref       VARCHAR(64)  NOT NULL,
    CONSTRAINT call_queue_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenant (id) ON DELETE CASCADE,
    CONSTRAINT call_queue_name_uq UNIQUE (tenant_id, name),
    CONSTRAINT call_queue_max_wait_ck CHECK (max_wait BETWEEN 1 AND 86400)
) ENGINE=InnoDB;

-- did_pattern NULL: a route reachable only as a ROUTE destination (e.g. a shared after-hours route).
CREATE TABLE inbound_route (
    id                BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id         BIGINT      NOT NULL,
    name              VARCHAR(64) NOT NULL,
    did_pattern       VARCHAR(64) NULL,
    caller_id_pattern VARCHAR(64) NULL,
    priority          INT         NOT NULL DEFAULT 100,
    dest_type         VARCHAR(16) NOT NULL,
    dest_ref          VARCHAR(64) NOT NULL,
    CONSTRAINT inbound_route_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenant (id) ON DELETE CASCADE,
    CONSTRAINT inbound_route_name_uq UNIQUE (tenant_id, name),
    INDEX inbound_route_did_ix (tenant_id, did_pattern)
) ENGINE=InnoDB;

-- dial_string holds {number} where the dialled number goes, e.g. PJSIP/{number}@carrier-a.
CREATE TABLE trunk (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id   BIGINT       NOT NULL,
    name        VARCHAR(64)  NOT NULL,
    dial_string VARCHAR(128) NOT NULL,
    CONSTRAINT trunk_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenant (id) ON DELETE CASCADE,
    CONSTRAINT trunk_name_uq UNIQUE (tenant_id, name)
) ENGINE=InnoDB;

CREATE TABLE outbound_route (
    id               BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id        BIGINT       NOT NULL,
    name             VARCHAR(64)  NOT NULL,
    priority         INT          NOT NULL DEFAULT 100,
    caller_id_number VARCHAR(32)  NULL,
    caller_id_name   VARCHAR(64)  NULL,
    ring_time        INT          NOT NULL DEFAULT 120,
    CONSTRAINT outbound_route_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenant (id) ON DELETE CASCADE,
    CONSTRAINT outbound_route_name_uq UNIQUE (tenant_id, name),
    CONSTRAINT outbound_route_ring_time_ck CHECK (ring_time BETWEEN 1 AND 3600),
    INDEX outbound_route_priority_ix (tenant_id, priority)
) ENGINE=InnoDB;

CREATE TABLE outbound_pattern (
    id                BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    outbound_route_id BIGINT      NOT NULL,
    pattern           VARCHAR(64) NOT NULL,
    strip_digits      INT         NOT NULL DEFAULT 0,
    prepend           VARCHAR(32) NOT NULL DEFAULT '',
    CONSTRAINT outbound_pattern_route_fk FOREIGN KEY (outbound_route_id) REFERENCES outbound_route (id) ON DELETE CASCADE,
    CONSTRAINT outbound_pattern_strip_ck CHECK (strip_digits BETWEEN 0 AND 32)
) ENGINE=InnoDB;

CREATE TABLE outbound_route_trunk (
    outbound_route_id BIGINT NOT NULL,
    position          INT    NOT NULL,
    trunk_id          BIGINT NOT NULL,
    PRIMARY KEY (outbound_route_id, position),
    CONSTRAINT outbound_route_trunk_route_fk FOREIGN KEY (outbound_route_id) REFERENCES outbound_route (id) ON DELETE CASCADE,
    CONSTRAINT outbound_route_trunk_trunk_fk FOREIGN KEY (trunk_id) REFERENCES trunk (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- Caller numbers refused on inbound calls: an exact number or an Asterisk pattern (_0900.).
CREATE TABLE blocked_caller (
    id        BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT       NOT NULL,
    pattern   VARCHAR(64)  NOT NULL,
    reason    VARCHAR(128) NULL,
    CONSTRAINT blocked_caller_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenant (id) ON DELETE CASCADE,
    CONSTRAINT blocked_caller_uq UNIQUE (tenant_id, pattern)
) ENGINE=InnoDB;
