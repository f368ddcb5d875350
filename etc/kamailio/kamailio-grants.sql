-- The proxies' DB account (kamailio.cfg DB_URL, WITH_REGISTRAR): exactly what auth_db, usrloc and registrar use.
-- Tables: Kamailio's own schema in database `kamailio` on the shared DB server, loaded once by an administrator:
--   mysql kamailio < /usr/share/kamailio/mysql/standard-create.sql   (table `version`)
--   mysql kamailio < /usr/share/kamailio/mysql/auth_db-create.sql    (table `subscriber`)
--   mysql kamailio < /usr/share/kamailio/mysql/usrloc-create.sql     (tables `location`, `location_attrs`)
-- (package kamailio-mysql-modules). Create the account first, for the proxies' addresses only, e.g.
--   CREATE USER 'kamailio'@'10.0.0.%' IDENTIFIED BY '...';
-- and write the same host part below in place of '%'. The account reads the subscribers and writes only the
-- registrations: it cannot change a subscriber (provisioning is another account's) nor touch any other table.
GRANT SELECT ON kamailio.version TO 'kamailio'@'%';
GRANT SELECT ON kamailio.subscriber TO 'kamailio'@'%';
GRANT SELECT, INSERT, UPDATE, DELETE ON kamailio.location TO 'kamailio'@'%';
