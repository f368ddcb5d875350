-- IVR menus: a prompt, digits read with a timeout, a destination per key, retries with their own prompts, and a
-- destination for invalid input and for silence once the retries are used up. A menu is a destination itself
-- (dest_type IVR, ref = ivr_menu name), so menus nest. The static dialplan plays the prompt and reads the digits
-- (Read()); the agent decides what they lead to (the "ivr" FastAGI script).
--   prompt, invalid_prompt, timeout_prompt: sound names; a retry plays its own prompt, then the menu's prompt again
--   digit_timeout: seconds Read() waits for the first and for each further digit
--   invalid_retries / timeout_retries: how many times the menu is offered again before the failure destination
--   direct_dial = 1: a caller may dial any extension number of the tenant from the menu

CREATE TABLE ivr_menu (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id       BIGINT       NOT NULL,
    name            VARCHAR(64)  NOT NULL,
    prompt          VARCHAR(128) NOT NULL,
    invalid_prompt  VARCHAR(128) NULL,
    timeout_prompt  VARCHAR(128) NULL,
    digit_timeout   INT          NOT NULL DEFAULT 5,
    invalid_retries INT          NOT NULL DEFAULT 2,
    timeout_retries INT          NOT NULL DEFAULT 2,
    direct_dial     TINYINT(1)   NOT NULL DEFAULT 0,
    invalid_type    VARCHAR(16)  NOT NULL,
    invalid_ref     VARCHAR(64)  NOT NULL,
    timeout_type    VARCHAR(16)  NOT NULL,
    timeout_ref     VARCHAR(64)  NOT NULL,
    CONSTRAINT ivr_menu_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenant (id) ON DELETE CASCADE,
    CONSTRAINT ivr_menu_name_uq UNIQUE (tenant_id, name),
    CONSTRAINT ivr_menu_digit_timeout_ck CHECK (digit_timeout BETWEEN 1 AND 60),
    CONSTRAINT ivr_menu_retries_ck CHECK (invalid_retries BETWEEN 0 AND 10 AND timeout_retries BETWEEN 0 AND 10)
) ENGINE=InnoDB;

-- digits: the keys a caller presses for this choice (0-9 and *; # ends the input and cannot be part of it).
CREATE TABLE ivr_option (
    id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    ivr_menu_id BIGINT      NOT NULL,
    digits      VARCHAR(8)  NOT NULL,
    dest_type   VARCHAR(16) NOT NULL,
    dest_ref    VARCHAR(64) NOT NULL,
    CONSTRAINT ivr_option_menu_fk FOREIGN KEY (ivr_menu_id) REFERENCES ivr_menu (id) ON DELETE CASCADE,
    CONSTRAINT ivr_option_digits_uq UNIQUE (ivr_menu_id, digits)
) ENGINE=InnoDB;

CREATE TRIGGER ivr_menu_ai_bump AFTER INSERT ON ivr_menu FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1;
CREATE TRIGGER ivr_menu_au_bump AFTER UPDATE ON ivr_menu FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1;
CREATE TRIGGER ivr_menu_ad_bump AFTER DELETE ON ivr_menu FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1;

CREATE TRIGGER ivr_option_ai_bump AFTER INSERT ON ivr_option FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1;
CREATE TRIGGER ivr_option_au_bump AFTER UPDATE ON ivr_option FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1;
CREATE TRIGGER ivr_option_ad_bump AFTER DELETE ON ivr_option FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1;
