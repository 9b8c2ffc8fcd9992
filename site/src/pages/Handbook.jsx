import { Page } from '../components/Page.jsx';
import { Breadcrumbs } from '../components/Breadcrumbs.jsx';

const SECTIONS = [
  { id: 'safety', title: 'Safety first' },
  { id: 'write-ups', title: 'Writing up a visit' },
  { id: 'findings', title: 'Grading findings' },
  { id: 'contributing', title: 'Contributing to Field Notes' },
];

export default function Handbook() {
  return (
    <Page
      title="Field handbook"
      heading="Field handbook"
      lead="The rules and habits we keep on every visit. If it isn’t here, ask the duty lead."
      breadcrumbs={
        <Breadcrumbs
          items={[
            { to: '/', label: 'Home' },
            { to: '/docs', label: 'Docs' },
            { label: 'Field handbook' },
          ]}
        />
      }
    >
      <nav className="toc" aria-label="On this page">
        <h2 className="toc__title">On this page</h2>
        <ol>
          {SECTIONS.map((s) => (
            <li key={s.id}>
              <a href={`#${s.id}`}>{s.title}</a>
            </li>
          ))}
        </ol>
      </nav>
      <section aria-labelledby="safety">
        <h2 id="safety">Safety first</h2>
        <p>
          No finding is worth an injury. Stop work and leave if a site is not as described,
          and tell the duty lead.
        </p>
        <ul>
          <li>
            Working alone: check in with the duty lead <strong>every 2 hours</strong> and
            when you leave the site.
          </li>
          <li>Never enter a confined space without a permit and a second person.</li>
          <li>Gas monitor alarm: leave by the route you came in, then call.</li>
        </ul>
      </section>
      <section aria-labelledby="write-ups">
        <h2 id="write-ups">Writing up a visit</h2>
        <p>Write up the same day, while it’s fresh. A good write-up has:</p>
        <ol>
          <li>What you were asked to look at, and what you actually saw.</li>
          <li>Each finding with a grade, a photo and a grid reference.</li>
          <li>The actions agreed on site, with an owner and a date each.</li>
        </ol>
      </section>
      <section aria-labelledby="findings">
        <h2 id="findings">Grading findings</h2>
        <table className="table">
          <caption>Finding grades and how fast they must be closed</caption>
          <thead>
            <tr>
              <th scope="col">Grade</th>
              <th scope="col">Meaning</th>
              <th scope="col">Close within</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">A</th>
              <td>Danger to people now</td>
              <td>Same day; make safe before leaving</td>
            </tr>
            <tr>
              <th scope="row">B</th>
              <td>Will fail or cause harm if left</td>
              <td>14 days</td>
            </tr>
            <tr>
              <th scope="row">C</th>
              <td>Worth fixing at the next planned work</td>
              <td>Next planned visit</td>
            </tr>
          </tbody>
        </table>
      </section>
      <section aria-labelledby="contributing">
        <h2 id="contributing">Contributing to Field Notes</h2>
        <p>
          Field Notes is written by the team, for the team. Spotted something out of date?
          Post the page and the fix in <span className="mono">#field-notes</span>; the
          editors publish changes every Friday.
        </p>
      </section>
    </Page>
  );
}
