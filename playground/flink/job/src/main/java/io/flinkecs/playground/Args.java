package io.flinkecs.playground;

import java.util.HashMap;
import java.util.Map;

/** Minimal "--key value" / "--key=value" parser; -Dkey=value system properties are the fallback. */
final class Args {
    private final Map<String, String> values = new HashMap<>();

    Args(String[] args, int from) {
        for (int i = from; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument: " + a);
            }
            String k = a.substring(2);
            int eq = k.indexOf('=');
            if (eq >= 0) {
                values.put(k.substring(0, eq), k.substring(eq + 1));
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                values.put(k, args[++i]);
            } else {
                values.put(k, "true");
            }
        }
    }

    String get(String key, String dflt) {
        String v = values.get(key);
        if (v == null) v = System.getProperty("demo." + key);
        return v == null ? dflt : v;
    }

    boolean has(String key) {
        return values.containsKey(key) || System.getProperty("demo." + key) != null;
    }

    long getLong(String key, long dflt) {
        return Long.parseLong(get(key, Long.toString(dflt)));
    }

    int getInt(String key, int dflt) {
        return Integer.parseInt(get(key, Integer.toString(dflt)));
    }

    double getDouble(String key, double dflt) {
        return Double.parseDouble(get(key, Double.toString(dflt)));
    }
}
