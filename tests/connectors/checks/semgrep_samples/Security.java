// Samples for the Java rules: each "ruleid:" comment marks a finding on the next line,
// each "ok:" comment a line that must not be reported.
package com.example.connector;

import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import javax.crypto.Cipher;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509TrustManager;
import org.apache.http.conn.ssl.NoopHostnameVerifier;

public class Security {

    ResultSet find(Connection connection, String customerId) throws Exception {
        Statement statement = connection.createStatement();
        // ruleid: java-sql-injection
        statement.executeQuery("SELECT * FROM orders WHERE customer_id = '" + customerId + "'");
        String query = "DELETE FROM carts WHERE id = " + customerId;
        // ruleid: java-sql-injection
        statement.executeUpdate(query);
        // ruleid: java-sql-injection
        connection.prepareStatement(String.format("SELECT * FROM t WHERE id = %s", customerId));
        // ok: java-sql-injection
        PreparedStatement safe = connection.prepareStatement("SELECT * FROM orders WHERE customer_id = ?");
        safe.setString(1, customerId);
        // ok: java-sql-injection
        return safe.executeQuery();
    }

    void run(String file) throws Exception {
        // ruleid: java-command-injection
        Runtime.getRuntime().exec("convert " + file + " out.png");
        // ruleid: java-command-injection
        new ProcessBuilder("sh", "-c", "ls " + file).start();
        // ok: java-command-injection
        new ProcessBuilder("convert", file, "out.png").start();
    }

    X509TrustManager trustAll() {
        return new X509TrustManager() {
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }

            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            // ruleid: java-trust-all-certificates
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}
        };
    }

    static class PinnedTrustManager {
        // ok: java-trust-all-certificates
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws Exception {
            if (chain.length == 0) {
                throw new IllegalArgumentException("empty chain");
            }
        }
    }

    HostnameVerifier anyHost() {
        return new HostnameVerifier() {
            // ruleid: java-hostname-verification-disabled
            public boolean verify(String host, SSLSession session) { return true; }
        };
    }

    HostnameVerifier knownHost() {
        return new HostnameVerifier() {
            // ok: java-hostname-verification-disabled
            public boolean verify(String host, SSLSession session) { return "api.example.com".equals(host); }
        };
    }

    Object noop() {
        // ruleid: java-hostname-verification-disabled
        return NoopHostnameVerifier.INSTANCE;
    }

    byte[] digests(byte[] data) throws Exception {
        // ruleid: java-weak-hash
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        // ruleid: java-weak-hash
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        // ok: java-weak-hash
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        md5.update(data);
        sha1.update(data);
        return sha256.digest(data);
    }

    void ciphers() throws Exception {
        // ruleid: java-weak-cipher
        Cipher des = Cipher.getInstance("DES/CBC/PKCS5Padding");
        // ruleid: java-weak-cipher
        Cipher defaultAes = Cipher.getInstance("AES");
        // ruleid: java-weak-cipher
        Cipher ecb = Cipher.getInstance("AES/ECB/PKCS5Padding");
        // ok: java-weak-cipher
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        // ok: java-weak-cipher
        Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
    }
}
