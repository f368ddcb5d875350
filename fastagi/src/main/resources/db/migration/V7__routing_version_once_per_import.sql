-- A routing import bumps routing_version once, itself, at its end, instead of once per row it writes (thousands of
-- row locks on the one version row, and a version that says nothing about how many imports happened). The import
-- sets the session variable @pbx_routing_import = 1 for its transaction and resets it before its connection goes back
-- to the pool; every other writer (an operator's SQL, the sample data) leaves it NULL and bumps per row as before.
-- A new routing table's triggers take the same form.

DROP TRIGGER IF EXISTS tenant_ai_bump;
CREATE TRIGGER tenant_ai_bump AFTER INSERT ON tenant FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS tenant_au_bump;
CREATE TRIGGER tenant_au_bump AFTER UPDATE ON tenant FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS tenant_ad_bump;
CREATE TRIGGER tenant_ad_bump AFTER DELETE ON tenant FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;

DROP TRIGGER IF EXISTS extension_ai_bump;
CREATE TRIGGER extension_ai_bump AFTER INSERT ON extension FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS extension_au_bump;
CREATE TRIGGER extension_au_bump AFTER UPDATE ON extension FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS extension_ad_bump;
CREATE TRIGGER extension_ad_bump AFTER DELETE ON extension FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;

DROP TRIGGER IF EXISTS time_condition_ai_bump;
CREATE TRIGGER time_condition_ai_bump AFTER INSERT ON time_condition FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS time_condition_au_bump;
CREATE TRIGGER time_condition_au_bump AFTER UPDATE ON time_condition FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS time_condition_ad_bump;
CREATE TRIGGER time_condition_ad_bump AFTER DELETE ON time_condition FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;

DROP TRIGGER IF EXISTS time_range_ai_bump;
CREATE TRIGGER time_range_ai_bump AFTER INSERT ON time_range FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS time_range_au_bump;
CREATE TRIGGER time_range_au_bump AFTER UPDATE ON time_range FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS time_range_ad_bump;
CREATE TRIGGER time_range_ad_bump AFTER DELETE ON time_range FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;

DROP TRIGGER IF EXISTS time_exception_ai_bump;
CREATE TRIGGER time_exception_ai_bump AFTER INSERT ON time_exception FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS time_exception_au_bump;
CREATE TRIGGER time_exception_au_bump AFTER UPDATE ON time_exception FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS time_exception_ad_bump;
CREATE TRIGGER time_exception_ad_bump AFTER DELETE ON time_exception FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;

DROP TRIGGER IF EXISTS ring_group_ai_bump;
CREATE TRIGGER ring_group_ai_bump AFTER INSERT ON ring_group FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS ring_group_au_bump;
CREATE TRIGGER ring_group_au_bump AFTER UPDATE ON ring_group FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS ring_group_ad_bump;
CREATE TRIGGER ring_group_ad_bump AFTER DELETE ON ring_group FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;

DROP TRIGGER IF EXISTS ring_group_member_ai_bump;
CREATE TRIGGER ring_group_member_ai_bump AFTER INSERT ON ring_group_member FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS ring_group_member_au_bump;
CREATE TRIGGER ring_group_member_au_bump AFTER UPDATE ON ring_group_member FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS ring_group_member_ad_bump;
CREATE TRIGGER ring_group_member_ad_bump AFTER DELETE ON ring_group_member FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;

DROP TRIGGER IF EXISTS call_queue_ai_bump;
CREATE TRIGGER call_queue_ai_bump AFTER INSERT ON call_queue FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS call_queue_au_bump;
CREATE TRIGGER call_queue_au_bump AFTER UPDATE ON call_queue FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS call_queue_ad_bump;
CREATE TRIGGER call_queue_ad_bump AFTER DELETE ON call_queue FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;

DROP TRIGGER IF EXISTS inbound_route_ai_bump;
CREATE TRIGGER inbound_route_ai_bump AFTER INSERT ON inbound_route FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS inbound_route_au_bump;
CREATE TRIGGER inbound_route_au_bump AFTER UPDATE ON inbound_route FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS inbound_route_ad_bump;
CREATE TRIGGER inbound_route_ad_bump AFTER DELETE ON inbound_route FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;

DROP TRIGGER IF EXISTS trunk_ai_bump;
CREATE TRIGGER trunk_ai_bump AFTER INSERT ON trunk FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS trunk_au_bump;
CREATE TRIGGER trunk_au_bump AFTER UPDATE ON trunk FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS trunk_ad_bump;
CREATE TRIGGER trunk_ad_bump AFTER DELETE ON trunk FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;

DROP TRIGGER IF EXISTS outbound_route_ai_bump;
CREATE TRIGGER outbound_route_ai_bump AFTER INSERT ON outbound_route FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS outbound_route_au_bump;
CREATE TRIGGER outbound_route_au_bump AFTER UPDATE ON outbound_route FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS outbound_route_ad_bump;
CREATE TRIGGER outbound_route_ad_bump AFTER DELETE ON outbound_route FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;

DROP TRIGGER IF EXISTS outbound_pattern_ai_bump;
CREATE TRIGGER outbound_pattern_ai_bump AFTER INSERT ON outbound_pattern FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS outbound_pattern_au_bump;
CREATE TRIGGER outbound_pattern_au_bump AFTER UPDATE ON outbound_pattern FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS outbound_pattern_ad_bump;
CREATE TRIGGER outbound_pattern_ad_bump AFTER DELETE ON outbound_pattern FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;

DROP TRIGGER IF EXISTS outbound_route_trunk_ai_bump;
CREATE TRIGGER outbound_route_trunk_ai_bump AFTER INSERT ON outbound_route_trunk FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS outbound_route_trunk_au_bump;
CREATE TRIGGER outbound_route_trunk_au_bump AFTER UPDATE ON outbound_route_trunk FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS outbound_route_trunk_ad_bump;
CREATE TRIGGER outbound_route_trunk_ad_bump AFTER DELETE ON outbound_route_trunk FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;

DROP TRIGGER IF EXISTS blocked_caller_ai_bump;
CREATE TRIGGER blocked_caller_ai_bump AFTER INSERT ON blocked_caller FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS blocked_caller_au_bump;
CREATE TRIGGER blocked_caller_au_bump AFTER UPDATE ON blocked_caller FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS blocked_caller_ad_bump;
CREATE TRIGGER blocked_caller_ad_bump AFTER DELETE ON blocked_caller FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;

DROP TRIGGER IF EXISTS ivr_menu_ai_bump;
CREATE TRIGGER ivr_menu_ai_bump AFTER INSERT ON ivr_menu FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS ivr_menu_au_bump;
CREATE TRIGGER ivr_menu_au_bump AFTER UPDATE ON ivr_menu FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS ivr_menu_ad_bump;
CREATE TRIGGER ivr_menu_ad_bump AFTER DELETE ON ivr_menu FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;

DROP TRIGGER IF EXISTS ivr_option_ai_bump;
CREATE TRIGGER ivr_option_ai_bump AFTER INSERT ON ivr_option FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS ivr_option_au_bump;
CREATE TRIGGER ivr_option_au_bump AFTER UPDATE ON ivr_option FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
DROP TRIGGER IF EXISTS ivr_option_ad_bump;
CREATE TRIGGER ivr_option_ad_bump AFTER DELETE ON ivr_option FOR EACH ROW UPDATE routing_version SET version = version + 1 WHERE id = 1 AND @pbx_routing_import IS NULL;
