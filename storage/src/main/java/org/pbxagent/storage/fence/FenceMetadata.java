package org.pbxagent.storage.fence;

/** The fence-agents metadata document Pacemaker's fencer reads ({@code stonith_admin --metadata}). */
final class FenceMetadata {

    private FenceMetadata() {}

    static String xml() {
        StringBuilder x = new StringBuilder(4096);
        x.append("<?xml version=\"1.0\" ?>\n");
        x.append(
                "<resource-agent name=\"fence_pbx_san\" shortdesc=\"Fabric fencing of a PBX node off the iSCSI SAN\">\n");
        x.append("<longdesc>fence_pbx_san cuts a failed PBX node off the shared iSCSI LUN: over SSH to the SAN node it"
                + " removes the node's initiator from the target's ACL (targetcli for LIO, or tgtadm for tgt), ends"
                + " the node's live sessions, and reports success only after verifying both. The on action restores"
                + " the ACL entry (unfencing). Fabric fencing has no reboot.</longdesc>\n");
        x.append("<vendor-url>https://www.open-iscsi.com/</vendor-url>\n");
        x.append("<parameters>\n");
        for (FenceParameter p : FenceParameter.ALL) {
            param(x, p.name(), p, false);
            for (String alias : p.aliases()) {
                if (!alias.equals("nodename")) {
                    param(x, alias, p, true);
                }
            }
        }
        x.append("</parameters>\n");
        x.append("<actions>\n");
        x.append("\t<action name=\"on\" automatic=\"1\"/>\n");
        x.append("\t<action name=\"off\" />\n");
        x.append("\t<action name=\"status\" />\n");
        x.append("\t<action name=\"list\" />\n");
        x.append("\t<action name=\"monitor\" />\n");
        x.append("\t<action name=\"metadata\" />\n");
        x.append("\t<action name=\"validate-all\" />\n");
        x.append("</actions>\n");
        x.append("</resource-agent>\n");
        return x.toString();
    }

    private static void param(StringBuilder x, String name, FenceParameter p, boolean deprecated) {
        x.append("\t<parameter name=\"")
                .append(name)
                .append("\" unique=\"0\" required=\"")
                .append(p.required() && !deprecated && !name.equals("action") ? "1" : "0")
                .append('"');
        if (deprecated) {
            x.append(" deprecated=\"1\"");
        }
        x.append(">\n");
        String getopt = (p.shortOpt() != null ? "-" + p.shortOpt() + ", " : "") + "--"
                + (deprecated ? name : p.longOpt()) + (p.isFlag() ? "" : "=[" + name + "]");
        x.append("\t\t<getopt mixed=\"").append(escape(getopt)).append("\" />\n");
        if (p.type().equals("select")) {
            x.append("\t\t<content type=\"select\" default=\"")
                    .append(escape(p.defaultValue()))
                    .append("\">\n");
            x.append("\t\t\t<option value=\"targetcli\" />\n\t\t\t<option value=\"tgtadm\" />\n");
            x.append("\t\t</content>\n");
        } else {
            x.append("\t\t<content type=\"").append(p.type()).append('"');
            if (p.defaultValue() != null) {
                x.append(" default=\"").append(escape(p.defaultValue())).append('"');
            }
            x.append(" />\n");
        }
        x.append("\t\t<shortdesc lang=\"en\">").append(escape(p.description())).append("</shortdesc>\n");
        x.append("\t</parameter>\n");
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
