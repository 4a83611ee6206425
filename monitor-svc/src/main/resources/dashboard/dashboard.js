// docmesh monitor dashboard: polls the JSON API and redraws. No framework, no CDN.
'use strict';

const HEALTH = {
  HEALTH_STATE_SERVING: 'serving', HEALTH_STATE_NOT_SERVING: 'not serving',
  HEALTH_STATE_DOWN: 'down', HEALTH_STATE_UNSPECIFIED: 'unknown',
};
const charts = {};

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => { if (k === 'class') e.className = v; else e.setAttribute(k, v); });
  children.forEach(c => e.append(c instanceof Node ? c : document.createTextNode(String(c))));
  return e;
}

function seconds(d) { return d ? parseFloat(d) : 0; }  // proto JSON durations are "0.012s"
function fmt(n, digits) { return Number(n || 0).toFixed(digits); }
function badge(state) { return el('span', { class: 'badge ' + state }, HEALTH[state] || state); }

// With authentication on, /api needs a bearer token: asked for once, kept for this tab only
// (sessionStorage), sent as a header, never put in a URL.
const TOKEN_KEY = 'docmesh-token';
let asking = null;

function askToken(again) {
  if (!asking) {
    asking = Promise.resolve().then(() => {
      const t = window.prompt((again ? 'That token was refused. ' : '')
        + 'This docmesh monitor needs a token (role operator or monitor):');
      if (t) sessionStorage.setItem(TOKEN_KEY, t.trim()); else sessionStorage.removeItem(TOKEN_KEY);
      asking = null;
      return t;
    });
  }
  return asking;
}

async function getJson(path) {
  for (let attempt = 0; ; attempt++) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers = token ? { Authorization: 'Bearer ' + token } : {};
    const r = await fetch(path, { cache: 'no-store', headers });
    if ((r.status === 401 || r.status === 403) && attempt < 2) {
      // requests refused together ask once: a token entered meanwhile is simply retried
      if (sessionStorage.getItem(TOKEN_KEY) === token && !(await askToken(token !== null))) {
        throw new Error(path + ': ' + r.status + ' (no token)');
      }
      continue;
    }
    if (!r.ok) throw new Error(path + ': ' + r.status);
    return r.json();
  }
}

function renderStatus(status) {
  const overall = document.getElementById('overall');
  overall.className = 'badge ' + status.health;
  overall.textContent = 'mesh ' + (HEALTH[status.health] || status.health);
  document.getElementById('updated').textContent = 'updated ' + new Date(status.time).toLocaleTimeString();
  const box = document.getElementById('services');
  box.replaceChildren(...status.services.map(s => {
    const card = el('div', { class: 'service', 'data-service': s.name },
      el('h3', {}, s.name, badge(s.health)));
    s.instances.forEach(i => card.append(el('div', { class: 'instance' },
      el('span', { title: i.instanceId }, i.address), badge(i.health))));
    card.append(el('div', { class: 'signals' },
      fmt(s.signals.requestsPerSecond, 2) + ' rps · ' + fmt(s.signals.errorRate * 100, 1) + '% errors · p99 '
      + fmt(seconds(s.signals.latencyP99) * 1000, 1) + ' ms'));
    return card;
  }));
}

function renderAlerts(alerts) {
  const body = document.querySelector('#alerts tbody');
  const rows = (alerts.alerts || []).map(a => el('tr', {},
    el('td', { class: a.state }, a.state.replace('ALERT_STATE_', '').toLowerCase() + (a.silenced ? ' (silenced)' : '')),
    el('td', {}, a.rule),
    el('td', {}, Object.entries(a.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => k + '=' + v).join(' ')),
    el('td', {}, new Date(a.startsAt).toLocaleTimeString()),
    el('td', {}, (a.annotations || {}).summary || '')));
  body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: '5', class: 'muted' }, 'no alerts'))]));
}

function renderJobs(feed) {
  document.getElementById('jobs-feed').textContent = feed.connected
    ? (feed.jobs.length ? '' : 'no active jobs')
    : 'jobs feed unavailable (' + feed.problem + ')';
  document.getElementById('jobs').replaceChildren(...feed.jobs.map(j => el('div', { class: 'job' },
    el('div', {}, j.id + ' · ' + j.pipeline + ' · ' + j.state.replace('JOB_STATE_', '').toLowerCase()
      + ' · ' + fmt(j.progressPercent, 0) + '%'),
    el('div', { class: 'bar' }, el('div', { style: 'width:' + fmt(j.progressPercent, 1) + '%' })))));
}

function chart(id) {
  if (!charts[id]) {
    charts[id] = echarts.init(document.getElementById(id));
    window.addEventListener('resize', () => charts[id].resize());
  }
  return charts[id];
}

function lineChart(id, points, pick, services) {
  chart(id).setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 50, right: 15, top: 30, bottom: 25 },
    xAxis: { type: 'time' },
    yAxis: { type: 'value' },
    series: services.map(s => ({ name: s, type: 'line', showSymbol: false, data: points.map(p => [p.time, pick(p, s)]) })),
  }, true);
}

function renderSeries(points) {
  const services = points.length ? Object.keys(points[points.length - 1].rps) : [];
  lineChart('chart-rps', points, (p, s) => p.rps[s], services);
  lineChart('chart-errors', points, (p, s) => p.errorRate[s], services);
  lineChart('chart-p99', points, (p, s) => p.p99[s], services);
  const pick = { 'queue depth': p => p.queueDepth, 'slots busy': p => p.slotsBusy, 'slots total': p => p.slotsTotal };
  lineChart('chart-queue', points, (p, s) => pick[s](p), Object.keys(pick));
}

async function refresh() {
  const [status, alerts, jobs, series] = await Promise.all([
    getJson('/api/status'), getJson('/api/alerts?include_resolved=true&page_size=50'),
    getJson('/api/jobs'), getJson('/api/series')]);
  renderStatus(status.status);
  renderAlerts(alerts);
  renderJobs(jobs);
  renderSeries(series);
  document.body.dataset.loaded = 'true';
}

async function loop() {
  try {
    await refresh();
  } catch (e) {
    // the monitor restarting is not a page error; show it and try again
    document.getElementById('updated').textContent = 'monitor unreachable, retrying';
  }
  setTimeout(loop, 2000);
}

loop();
