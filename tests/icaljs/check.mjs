#!/usr/bin/env node
// Reads one iCalendar file with ical.js (the parser Thunderbird uses) and prints, as JSON on
// stdout, what ical.js makes of it: the calendar's properties, its VTIMEZONEs and per VEVENT
// the properties tests/events/test_icaljs.py compares with what events/ics.py was given.
//
// Usage: node check.mjs [FILE]   (no FILE, or "-": standard input)
// On a parse error: the error on stderr, exit 1.
//
// Times are resolved by the file's own VTIMEZONEs only, never by the host's zone: each
// VTIMEZONE is registered with ICAL.TimezoneService, and a DTSTART/DTEND with a TZID whose
// zone ical.js did not resolve to that definition comes out with "zone": null and "utc": null
// instead of an instant that would depend on the TZ of the machine running this script.

import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function readInput() {
  const path = process.argv[2];
  return readFileSync(path && path !== "-" ? path : 0, "utf8");
}

function first(component, name) {
  const value = component.getFirstPropertyValue(name);
  return value === null || value === undefined ? null : String(value);
}

function address(property) {
  const params = {};
  for (const name of ["cn", "role", "partstat", "rsvp"]) {
    const value = property.getParameter(name);
    if (value !== undefined && value !== null) {
      params[name.toUpperCase()] = String(value);
    }
  }
  return { value: String(property.getFirstValue()), params };
}

// The zone ical.js resolved a TZID to must be the file's own VTIMEZONE (or the registered
// copy of it): anything else (the "floating" local zone ical.js falls back to) is reported
// as unresolved.
function resolvedZone(time, tzid, zones) {
  if (tzid === null) {
    return time.zone === ICAL.Timezone.utcTimezone ? "UTC" : null;
  }
  if (!zones.has(tzid)) {
    return null;
  }
  if (!time.zone || time.zone === ICAL.Timezone.localTimezone || time.zone.tzid !== tzid) {
    // Not resolved from the tree: take the registered definition of that TZID.
    const zone = ICAL.TimezoneService.get(tzid);
    if (!zone) {
      return null;
    }
    time.zone = zone;
  }
  return time.zone.component ? tzid : null;
}

function moment(component, name, zones) {
  const property = component.getFirstProperty(name);
  if (!property) {
    return null;
  }
  const time = property.getFirstValue();
  const tzidParam = property.getParameter("tzid");
  const tzid = tzidParam === undefined || tzidParam === null ? null : String(tzidParam);
  const zone = resolvedZone(time, tzid, zones);
  return {
    tzid,
    zone,
    local: time.toString(),
    utc: zone === null ? null : time.toJSDate().toISOString(),
    utc_offset: zone === null ? null : time.utcOffset(),
  };
}

function utcValue(component, name) {
  const time = component.getFirstPropertyValue(name);
  if (!time) {
    return null;
  }
  return time.zone === ICAL.Timezone.utcTimezone ? time.toJSDate().toISOString() : null;
}

function describe(text) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  if (calendar.name !== "vcalendar") {
    throw new Error(`expected a VCALENDAR, got ${calendar.name.toUpperCase()}`);
  }

  const zones = new Map();
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    const zone = new ICAL.Timezone(vtimezone);
    ICAL.TimezoneService.register(zone);
    zones.set(zone.tzid, zone);
  }

  const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
    // No recurrence exceptions (events/ics.py writes no RECURRENCE-ID): without this option
    // every ICAL.Event scans all sibling VEVENTs for them, quadratic on a big feed.
    const event = new ICAL.Event(vevent, { exceptions: [] });
    const start = moment(vevent, "dtstart", zones);
    const end = moment(vevent, "dtend", zones);
    const organizer = vevent.getFirstProperty("organizer");
    return {
      uid: event.uid,
      summary: event.summary,
      status: first(vevent, "status"),
      sequence: event.sequence,
      categories: vevent
        .getAllProperties("categories")
        .flatMap((property) => property.getValues().map(String)),
      url: first(vevent, "url"),
      location: event.location,
      description: event.description,
      organizer: organizer ? address(organizer) : null,
      attendees: vevent.getAllProperties("attendee").map(address),
      dtstamp: utcValue(vevent, "dtstamp"),
      last_modified: utcValue(vevent, "last-modified"),
      dtstart_tzid: start && start.tzid,
      dtstart: start,
      dtend: end,
      // What a client shows: event.startDate/endDate as instants.
      start_utc: start && start.zone !== null ? event.startDate.toJSDate().toISOString() : null,
      end_utc: end && end.zone !== null ? event.endDate.toJSDate().toISOString() : null,
    };
  });

  return {
    calendar: {
      prodid: first(calendar, "prodid"),
      version: first(calendar, "version"),
      calscale: first(calendar, "calscale"),
      method: first(calendar, "method"),
      // ical.js reads X- properties as value type "unknown": verbatim, escapes and all.
      "x-wr-calname": first(calendar, "x-wr-calname"),
      "x-wr-timezone": first(calendar, "x-wr-timezone"),
    },
    timezones: [...zones.keys()],
    events,
  };
}

let result;
try {
  result = describe(readInput());
} catch (error) {
  process.stderr.write(`check.mjs: ${error}\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
