package org.pbxagent.fastagi.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 address block in CIDR notation ({@code 127.0.0.0/8}, {@code ::1/128}); a bare address is a /32 or
 * /128. Immutable; equal when network and prefix length are.
 */
public final class CidrBlock {
    private final byte[] network;
    private final int prefixLength;

    private CidrBlock(byte[] network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /**
     * Parses without any name lookup: only IP literals are accepted (a host name here would need DNS at start and
     * could change under us).
     *
     * @throws IllegalArgumentException with a short reason
     */
    public static CidrBlock parse(String text) {
        String s = text.trim();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        if (!IpAddresses.isLiteral(addr)) {
            throw new IllegalArgumentException("'" + s + "' is not an IP address or network");
        }
        byte[] bytes = IpAddresses.parseLiteral(addr).getAddress();
        int max = bytes.length * 8;
        int len = max;
        if (slash >= 0) {
            try {
                len = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                len = -1;
            }
            if (len < 0 || len > max) {
                throw new IllegalArgumentException("'" + s + "' has a prefix length outside 0.." + max);
            }
        }
        return new CidrBlock(mask(bytes, len), len);
    }

    public int prefixLength() {
        return prefixLength;
    }

    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != network.length) {
            return false;
        }
        return Arrays.equals(mask(a, prefixLength), network);
    }

    private static byte[] mask(byte[] bytes, int len) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int bits = Math.max(0, Math.min(8, len - i * 8));
            out[i] = (byte) (out[i] & (0xff00 >> bits));
        }
        return out;
    }

    /** The network and prefix length, e.g. {@code 10.1.0.0/16} for {@code 10.1.2.3/16}. */
    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefixLength;
        } catch (UnknownHostException e) {
            return "?/" + prefixLength;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CidrBlock c && c.prefixLength == prefixLength && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefixLength;
    }
}
