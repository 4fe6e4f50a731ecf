package dev.bosa.gateway;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Values converts between plain Java values (Map, List, String, Number, Boolean, null) and
 * {@code google.protobuf.Struct}/{@code Value}, the JSON shapes of action inputs and results.
 */
public final class Values {
  private Values() {}

  /** The Struct of a JSON-like map; an empty Struct for null. */
  public static Struct struct(Map<String, ?> map) {
    Struct.Builder b = Struct.newBuilder();
    if (map != null) {
      map.forEach((k, v) -> b.putFields(k, value(v)));
    }
    return b.build();
  }

  /** The Value of a JSON-like Java value. */
  public static Value value(Object v) {
    if (v == null) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    }
    if (v instanceof Value value) {
      return value;
    }
    if (v instanceof String s) {
      return Value.newBuilder().setStringValue(s).build();
    }
    if (v instanceof Boolean bool) {
      return Value.newBuilder().setBoolValue(bool).build();
    }
    if (v instanceof Number n) {
      return Value.newBuilder().setNumberValue(n.doubleValue()).build();
    }
    if (v instanceof Map<?, ?> m) {
      Struct.Builder b = Struct.newBuilder();
      m.forEach((k, x) -> b.putFields(String.valueOf(k), value(x)));
      return Value.newBuilder().setStructValue(b).build();
    }
    if (v instanceof Iterable<?> items) {
      ListValue.Builder b = ListValue.newBuilder();
      items.forEach(x -> b.addValues(value(x)));
      return Value.newBuilder().setListValue(b).build();
    }
    throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
  }

  /**
   * The plain Java value of a Value: Map (in field order), List, String, Boolean, null, and numbers as Long when
   * integral (within ±2^53) else Double.
   */
  public static Object toJava(Value v) {
    if (v == null) {
      return null;
    }
    switch (v.getKindCase()) {
      case STRUCT_VALUE:
        return toJava(v.getStructValue());
      case LIST_VALUE:
        List<Object> out = new ArrayList<>();
        v.getListValue().getValuesList().forEach(x -> out.add(toJava(x)));
        return out;
      case STRING_VALUE:
        return v.getStringValue();
      case BOOL_VALUE:
        return v.getBoolValue();
      case NUMBER_VALUE:
        double d = v.getNumberValue();
        if (d == Math.rint(d) && Math.abs(d) <= 9007199254740992.0) {
          return (long) d;
        }
        return d;
      default:
        return null;
    }
  }

  /** The plain Java map of a Struct (see {@link #toJava(Value)}). */
  public static Map<String, Object> toJava(Struct s) {
    Map<String, Object> out = new LinkedHashMap<>();
    s.getFieldsMap().forEach((k, x) -> out.put(k, toJava(x)));
    return out;
  }
}
