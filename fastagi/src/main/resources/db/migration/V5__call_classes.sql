-- Call rights: a call class names the outbound routes its extensions may use; an extension names its class
-- (extension.call_class, by name; NULL: every route, as before). A dialled number whose route (the first matching)
-- the caller's class does not allow is refused with the class's prompt (refusal_prompt, a sound name; NULL: the default) and the
-- reason call-class:<class>:<route>. Route names are references checked when the routing is loaded, like
-- destinations: a class naming a route that does not exist leaves it out, an extension naming a class that does not
-- exist may use no route.

CREATE TABLE call_class (
    id             BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id      BIGINT       NOT NULL,
    name           VARCHAR(64)  NOT NULL,
    refusal_prompt VARCHAR(128) NULL,
    CONSTRAINT call_class_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenant (id) ON DELETE CASCADE,
    CONSTRAINT call_class_name_uq UNIQUE (tenant_id, name)
) ENGINE=InnoDB;

CREATE TABLE call_class_route (
    call_class_id BIGINT      NOT NULL,
    route_name    VARCHAR(64) NOT NULL,
    PRIMARY KEY (call_class_id, route_name),
    CONSTRAINT call_class_route_class_fk FOREIGN KEY (call_class_id) REFERENCES call_class (id) ON DELETE CASCADE
) ENGINE=InnoDB;

ALTER TABLE extension ADD COLUMN call_class VARCHAR(64) NULL;

CREATE TRIGGER call_class_ai_bump AFTER INSERT ON call_class FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
CREATE TRIGGER call_class_au_bump AFTER UPDATE ON call_class FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
CREATE TRIGGER call_class_ad_bump AFTER DELETE ON call_class FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;

CREATE TRIGGER call_class_route_ai_bump AFTER INSERT ON call_class_route FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
CREATE TRIGGER call_class_route_au_bump AFTER UPDATE ON call_class_route FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
CREATE TRIGGER call_class_route_ad_bump AFTER DELETE ON call_class_route FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
